// Every BigQuery type of the README's table, end to end: a value in the fake's f/v encoding →
// the connector's staging and casts → Parquet → read back with DuckDB, NULLs included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeBigQuery } from '../src/testing/index.js';
import { connectorFor, extractInto, parseConfig, readTable, startFake, tempDir } from './helpers.js';

const BIG_INT = '9007199254740993'; // 2^53 + 1: a double cannot hold it
const WIDE = '12345678901234567890123456789012345678.12345678901234567890123456789012345678'; // 76 digits

describe('type mapping, BigQuery → Parquet', () => {
  let fake: FakeBigQuery;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let report: Awaited<ReturnType<typeof extractInto>>;
  let table: Awaited<ReturnType<typeof readTable>>;

  beforeAll(async () => {
    fake = await startFake();
    tmp = await tempDir();
    fake.addTable({
      datasetId: 'sales',
      tableId: 'all_types',
      schema: [
        { name: 'k', type: 'INT64', mode: 'REQUIRED' },
        { name: 'i', type: 'INT64' },
        { name: 'n', type: 'NUMERIC' },
        { name: 'bn', type: 'BIGNUMERIC' },
        { name: 'f', type: 'FLOAT64' },
        { name: 'b', type: 'BOOL' },
        { name: 's', type: 'STRING' },
        { name: 'by', type: 'BYTES' },
        { name: 'd', type: 'DATE' },
        { name: 'dt', type: 'DATETIME' },
        { name: 't', type: 'TIME' },
        { name: 'ts', type: 'TIMESTAMP' },
        { name: 'g', type: 'GEOGRAPHY' },
        { name: 'j', type: 'JSON' },
        {
          name: 'st',
          type: 'STRUCT',
          fields: [
            { name: 'a', type: 'INT64' },
            { name: 'label', type: 'STRING' },
            { name: 'inner', type: 'RECORD', fields: [{ name: 'at', type: 'TIMESTAMP' }] },
          ],
        },
        { name: 'r', type: 'INT64', mode: 'REPEATED' },
        {
          name: 'rs',
          type: 'STRUCT',
          mode: 'REPEATED',
          fields: [
            { name: 'key', type: 'STRING' },
            { name: 'v', type: 'FLOAT64' },
            { name: 'raw', type: 'BYTES' },
          ],
        },
      ],
      rows: [
        {
          k: 1,
          i: BIG_INT,
          n: '12345678901234567890123456789.123456789',
          bn: '1234567890.12345678901234567890',
          f: 1.5,
          b: true,
          s: 'héllo "quoted"\nline',
          by: Buffer.from([0, 1, 2, 255]),
          d: '2024-02-29',
          dt: '2024-05-01T12:34:56.123456',
          t: '23:59:59.999999',
          ts: '2024-05-01T12:34:56.123456Z',
          g: 'POINT(1 2)',
          j: { a: 1, b: [true, null] },
          st: { a: -7, label: 'x', inner: { at: '1999-12-31T23:59:59Z' } },
          r: [1, 2, 3],
          rs: [
            { key: 'a', v: 0.25, raw: Buffer.from('hi') },
            { key: null, v: null, raw: null },
          ],
        },
        {
          k: 2,
          i: '-5',
          n: '-0.5',
          bn: '-0.000000000000000000001',
          f: Number.NaN,
          b: false,
          s: '',
          by: Buffer.alloc(0),
          d: '1000-01-01',
          dt: '2024-01-01T00:00:00',
          t: '00:00:00',
          ts: '1970-01-01T00:00:00Z',
          g: 'LINESTRING(0 0, 1 1)',
          j: '"text"',
          st: { a: null, label: null, inner: null },
          r: [],
          rs: [],
        },
        { k: 3 },
      ],
    });
    fake.addTable({
      datasetId: 'sales',
      tableId: 'wide_numbers',
      schema: [
        { name: 'k', type: 'INT64' },
        { name: 'bn', type: 'BIGNUMERIC' },
      ],
      rows: [
        { k: 1, bn: WIDE },
        { k: 2, bn: '1.5' },
      ],
    });
    const config = parseConfig(fake, { tables: [{ id: 'sales.all_types', primary_key: ['k'] }, { id: 'sales.wide_numbers' }] });
    report = await extractInto(connectorFor(config).connector, tmp.dir);
    table = await readTable(tmp.dir, 'bigquery', 'all_types', 'k');
  });
  afterAll(async () => {
    await fake?.close();
    await tmp?.cleanup();
  });

  it('materializes both tables', () => {
    expect(report.tables.map((t) => [t.name, t.status, t.rows])).toEqual([
      ['all_types', 'ok', 3],
      ['wide_numbers', 'ok', 2],
    ]);
  });

  it('maps every type to its DuckDB type', () => {
    expect(table.types).toEqual({
      k: 'BIGINT',
      i: 'BIGINT',
      n: 'DECIMAL(38,9)',
      bn: 'DECIMAL(38,21)',
      f: 'DOUBLE',
      b: 'BOOLEAN',
      s: 'VARCHAR',
      by: 'BLOB',
      d: 'DATE',
      dt: 'TIMESTAMP',
      t: 'TIME',
      ts: 'TIMESTAMP WITH TIME ZONE',
      g: 'VARCHAR',
      j: 'JSON',
      st: 'STRUCT(a BIGINT, "label" VARCHAR, "inner" STRUCT("at" TIMESTAMP WITH TIME ZONE))',
      r: 'BIGINT[]',
      rs: 'STRUCT("key" VARCHAR, v DOUBLE, raw BLOB)[]',
    });
  });

  it('keeps every value exactly: wide integers, decimals, NaN, bytes, microseconds, nested values', () => {
    expect(table.rows[0]).toEqual({
      k: '1',
      i: BIG_INT,
      n: '12345678901234567890123456789.123456789',
      bn: '1234567890.123456789012345678900',
      f: 1.5,
      b: true,
      s: 'héllo "quoted"\nline',
      by: '\\x00\\x01\\x02\\xFF',
      d: '2024-02-29',
      dt: '2024-05-01 12:34:56.123456',
      t: '23:59:59.999999',
      ts: '2024-05-01 12:34:56.123456+00',
      g: 'POINT(1 2)',
      j: '{"a":1,"b":[true,null]}',
      st: { a: '-7', label: 'x', inner: { at: '1999-12-31 23:59:59+00' } },
      r: ['1', '2', '3'],
      rs: [
        { key: 'a', v: 0.25, raw: 'hi' },
        { key: null, v: null, raw: null },
      ],
    });
    expect(table.rows[1]).toMatchObject({
      n: '-0.500000000',
      bn: '-0.000000000000000000001',
      f: 'NaN',
      b: false,
      s: '',
      by: '',
      d: '1000-01-01',
      ts: '1970-01-01 00:00:00+00',
      g: 'LINESTRING(0 0, 1 1)',
      j: '"text"',
      st: { a: null, label: null, inner: null },
      r: [],
      rs: [],
    });
  });

  it('keeps NULLs as NULL (and an absent array as an empty one, as BigQuery has no NULL arrays)', () => {
    const { k, r, rs, ...rest } = table.rows[2];
    expect(k).toBe('3');
    expect(Object.values(rest).every((v) => v === null)).toBe(true);
    expect([r, rs]).toEqual([[], []]);
  });

  it('stores a BIGNUMERIC wider than 38 digits as text, with a warning', async () => {
    const wide = await readTable(tmp.dir, 'bigquery', 'wide_numbers', 'k');
    expect(wide.types.bn).toBe('VARCHAR');
    expect(wide.rows.map((r) => r.bn)).toEqual([WIDE, '1.5']);
    expect(report.tables[1].warnings?.join('\n')).toMatch(/bn: BIGNUMERIC values need more than 38 digits .*stored as VARCHAR/);
  });
});
