import { DuckDBInstance, type DuckDBConnection, type DuckDBDateValue, type DuckDBDecimalValue, type DuckDBTimestampValue } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvText, dateText, decimalText, timestampText, uniqueNames } from '../../../src/data/query/formats.js';
import { trimTail } from '../../../src/data/query/runner.js';

let db: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
});
afterAll(() => {
  conn?.closeSync();
  db?.closeSync();
});

/** Pairs of (value as the client library returns it, DuckDB's own text of it). */
async function pairs<T>(sql: string): Promise<[T, string][]> {
  const r = await conn.runAndReadAll(sql);
  return r.getRows() as [T, string][];
}

describe('value formatting agrees with DuckDB’s own text', () => {
  it('dates across the whole supported range', async () => {
    const rows = await pairs<DuckDBDateValue>(`SELECT d, d::VARCHAR FROM (SELECT DATE '0001-01-01' + (hash(range) % 3652058)::INTEGER AS d FROM range(50000)
      UNION ALL SELECT * FROM (VALUES (DATE '1970-01-01'), (DATE '1969-12-31'), (DATE '2000-02-29'), (DATE '1900-03-01'), (DATE '9999-12-31'), (DATE '0001-01-01')))`);
    for (const [v, text] of rows) expect(dateText(v.days)).toBe(text);
  });

  it('timestamps, with the fraction trimmed as DuckDB trims it', async () => {
    const rows = await pairs<DuckDBTimestampValue>(`SELECT t, t::VARCHAR FROM (
      SELECT TIMESTAMP '0001-01-01' + to_microseconds((hash(range) % 315537897599999999)::BIGINT) AS t FROM range(50000)
      UNION ALL SELECT TIMESTAMP '2024-02-03 04:05:06' + to_microseconds(range * 100000) FROM range(20)
      UNION ALL SELECT * FROM (VALUES (TIMESTAMP '1969-12-31 23:59:59.999999'), (TIMESTAMP '1970-01-01'), (TIMESTAMP '1960-05-06 07:08:09.000001')))`);
    for (const [v, text] of rows) expect(timestampText(v.micros)).toBe(text.replace(' ', 'T'));
  });

  it('decimals of every width', async () => {
    const queries = [
      `SELECT x, x::VARCHAR FROM (SELECT (((hash(range) % 19999)::BIGINT - 9999) / 100)::DECIMAL(4, 2) AS x FROM range(2000))`,
      `SELECT x, x::VARCHAR FROM (SELECT (((hash(range) % 2000000000)::BIGINT - 1000000000) / 10000)::DECIMAL(18, 4) AS x FROM range(2000))`,
      `SELECT x, x::VARCHAR FROM (SELECT (((hash(range) % 1000000000000)::HUGEINT * 12345 - 9999999999999999) / 1000000)::DECIMAL(38, 10) AS x FROM range(2000))`,
      `SELECT x, x::VARCHAR FROM (VALUES (0.001::DECIMAL(18, 3)), (-0.5::DECIMAL(18, 3)), (0::DECIMAL(18, 3)), (-0.001::DECIMAL(18, 3))) v(x)`,
      `SELECT x, x::VARCHAR FROM (VALUES (42::DECIMAL(18, 0)), (-7::DECIMAL(9, 0))) v(x)`,
    ];
    for (const sql of queries) {
      const rows = await pairs<DuckDBDecimalValue>(sql);
      expect(rows.length).toBeGreaterThan(0);
      for (const [v, text] of rows) expect(decimalText(v)).toBe(text);
    }
  });
});

describe('helpers', () => {
  it('quotes CSV fields only when needed', () => {
    expect(csvText('plain')).toBe('plain');
    expect(csvText('')).toBe('""');
    expect(csvText('a,b')).toBe('"a,b"');
    expect(csvText('say "hi"')).toBe('"say ""hi"""');
    expect(csvText('two\nlines')).toBe('"two\nlines"');
    expect(csvText(' padded')).toBe('" padded"');
  });

  it('makes duplicate column names unique like DuckDB does', () => {
    expect(uniqueNames(['a', 'a', 'b', 'a', 'a_1'])).toEqual(['a', 'a_2', 'b', 'a_3', 'a_1']);
    expect(uniqueNames(['id', 'id', 'name'])).toEqual(['id', 'id_1', 'name']);
  });

  it('trims a statement’s tail without regular-expression backtracking', () => {
    expect(trimTail('SELECT 1 ;  \n', false)).toBe('SELECT 1');
    expect(trimTail('SELECT 1; -- done\n/* x */  ', true)).toBe('SELECT 1');
    expect(trimTail("SELECT '--' AS x; -- c", true)).toBe("SELECT '");
    const spaces = `SELECT 1${' '.repeat(200_000)}x`;
    const started = performance.now();
    expect(trimTail(spaces, true)).toBe(spaces);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
