// The plugin in a real host against the fake: a sync through the host, every mapped type read
// back through POST /api/query, discovery through GET /api/admin/discover-tables, remote tables
// in the catalog but not in the sync manifest, and no credential in the host's log.
import { startTestHost, type TestHost } from '@aida/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import type { FakeBigQuery } from '../src/testing/index.js';
import { captureLogger, configFor, startFake } from './helpers.js';

describe('the BigQuery plugin in a real host', () => {
  let fake: FakeBigQuery;
  let t: TestHost;
  const log = captureLogger();

  beforeAll(async () => {
    fake = await startFake({ datasets: ['sales', 'web'] });
    fake.addTable({
      datasetId: 'sales',
      tableId: 'typed',
      schema: [
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
            { name: 'tags', type: 'STRING', mode: 'REPEATED' },
          ],
        },
        { name: 'r', type: 'FLOAT64', mode: 'REPEATED' },
      ],
      rows: [
        {
          i: '9223372036854775807',
          n: '-123.456',
          bn: '0.12345678901234567890123456789',
          f: -2.5,
          b: true,
          s: 'ünïcode',
          by: Buffer.from([1, 2, 3]),
          d: '2024-02-29',
          dt: '2024-05-01T12:00:00.5',
          t: '08:30:00',
          ts: '2024-05-01T12:00:00Z',
          g: 'POINT(13.4 52.5)',
          j: { k: [1, 2] },
          st: { a: 1, tags: ['x', 'y'] },
          r: [1.5, 2.5],
        },
        {},
      ],
    });
    fake.addTable({ datasetId: 'web', tableId: 'events', schema: [{ name: 'id', type: 'INT64' }], rows: [{ id: 1 }, { id: 2 }] });
    const config = configFor(fake, { tables: [{ id: 'sales.typed' }, { id: 'web.events', mode: 'remote' }] });
    t = await startTestHost({ plugins: [{ plugin, config }], logger: log.logger });
    const sync = await t.host.syncSource('bigquery');
    expect(sync.error).toBeUndefined();
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  it('serves every mapped type through POST /api/query, NULLs included', async () => {
    const analyst = await t.asUser('analyst');
    const res = await analyst('/api/query', { method: 'POST', body: JSON.stringify({ sql: 'SELECT * FROM typed ORDER BY i NULLS LAST' }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { columns: { name: string; type: string }[]; rows: unknown[][]; row_count: number };
    expect(body.columns).toEqual([
      { name: 'i', type: 'BIGINT' },
      { name: 'n', type: 'DECIMAL(38,9)' },
      { name: 'bn', type: 'DECIMAL(38,29)' },
      { name: 'f', type: 'DOUBLE' },
      { name: 'b', type: 'BOOLEAN' },
      { name: 's', type: 'VARCHAR' },
      { name: 'by', type: 'BLOB' },
      { name: 'd', type: 'DATE' },
      { name: 'dt', type: 'TIMESTAMP' },
      { name: 't', type: 'TIME' },
      { name: 'ts', type: 'TIMESTAMP WITH TIME ZONE' },
      { name: 'g', type: 'VARCHAR' },
      // JSON in the Parquet file; the host's readers load no extensions, so the query API shows its text.
      { name: 'j', type: 'VARCHAR' },
      { name: 'st', type: 'STRUCT("a" BIGINT, "tags" VARCHAR[])' },
      { name: 'r', type: 'DOUBLE[]' },
    ]);
    expect(body.row_count).toBe(2);
    const [full, empty] = body.rows;
    // The JSON answer gives decimals as numbers; their exact digits are in the Parquet (below).
    expect(full.slice(0, 4)).toEqual(['9223372036854775807', -123.456, 0.12345678901234568, -2.5]);
    expect(full.slice(4)).toEqual([
      true,
      'ünïcode',
      expect.anything(),
      '2024-02-29',
      '2024-05-01T12:00:00.5',
      '08:30:00',
      '2024-05-01T12:00:00Z',
      'POINT(13.4 52.5)',
      expect.anything(),
      { a: 1, tags: ['x', 'y'] },
      [1.5, 2.5],
    ]);
    expect(JSON.parse(String(full[12]))).toEqual({ k: [1, 2] });
    expect(empty).toEqual([null, null, null, null, null, null, null, null, null, null, null, null, null, null, []]);

    const exact = await analyst('/api/query', {
      method: 'POST',
      body: JSON.stringify({
        sql: 'SELECT CAST(n AS VARCHAR) AS n, CAST(bn AS VARCHAR) AS bn, hex("by") AS hex_by, CAST(ts AS VARCHAR) AS ts FROM typed WHERE i IS NOT NULL',
      }),
    });
    const answer = (await exact.json()) as { rows: unknown[][] };
    expect(exact.status, JSON.stringify(answer)).toBe(200);
    expect(answer.rows).toEqual([['-123.456000000', '0.12345678901234567890123456789', '010203', '2024-05-01 12:00:00+00']]);
  });

  it('lists the BigQuery tables in GET /api/admin/discover-tables, with mode, size and types', async () => {
    const admin = await t.asAdmin();
    const body = (await (await admin('/api/admin/discover-tables')).json()) as { tables: Record<string, unknown>[]; errors: unknown[] };
    expect(body.errors).toEqual([]);
    expect(body.tables.map((x) => [x.name, x.source, x.source_type, x.mode, x.registered])).toEqual([
      ['typed', 'bigquery', 'bigquery', 'materialized', true],
      ['events', 'bigquery', 'bigquery', 'remote', true],
    ]);
    expect(body.tables[0]).toMatchObject({ sourceTable: 'acme-analytics.sales.typed', bucket: 'sales', rows: 2, tableType: 'TABLE' });
  });

  it('catalogs the remote table with query_mode remote and leaves it out of the sync manifest', async () => {
    const admin = await t.asAdmin();
    const catalog = (await (await admin('/api/catalog/tables')).json()) as { tables: { id: string; query_mode: string; source_type: string }[] };
    expect(catalog.tables.map((x) => [x.id, x.query_mode, x.source_type]).sort()).toEqual([
      ['events', 'remote', 'bigquery'],
      ['typed', 'local', 'bigquery'],
    ]);
    const manifest = (await (await admin('/api/sync/manifest')).json()) as { tables: Record<string, unknown> };
    expect(Object.keys(manifest.tables)).toEqual(['typed']);
  });

  it('logs neither the key nor the access token it was issued', () => {
    const key = fake.serviceAccountKey();
    const text = log.text();
    expect(text).toContain('bigquery');
    for (const line of key.private_key.split('\n').filter((l) => l.length > 40)) expect(text).not.toContain(line);
    const tokens = fake.requests.map((r) => String(r.headers.authorization ?? '').replace(/^Bearer /, '')).filter(Boolean);
    expect(tokens.length).toBeGreaterThan(0);
    for (const token of new Set(tokens)) expect(text).not.toContain(token);
  });
});
