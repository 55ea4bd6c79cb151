import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChunkEncoder } from '../../../src/data/query/formats.js';
import { LINE_MACROS, RAW_LINES, linePlan } from '../../../src/data/query/line-sql.js';

/**
 * The engine-written lines (line-sql.ts, written by COPY as the pipe export does) against the
 * JavaScript encoder (formats.ts, what stream.ts sends) on the same results: byte for byte.
 */

let db: DuckDBInstance;
let conn: DuckDBConnection;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aida-line-sql-'));
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
  for (const macro of LINE_MACROS) await conn.run(macro);
});
afterAll(async () => {
  conn?.closeSync();
  db?.closeSync();
  await rm(dir, { recursive: true, force: true });
});

/** What stream.ts writes for the query: the header, then every chunk encoded. */
async function javascript(sql: string, format: 'ndjson' | 'csv'): Promise<string> {
  const result = await conn.stream(sql);
  const encoder = new ChunkEncoder(format, result);
  let text = encoder.header();
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) text += encoder.encode(chunk);
  return text;
}

/** What the pipe export sends for it: the plan's header, then DuckDB's COPY of its lines. */
async function engine(sql: string, format: 'ndjson' | 'csv'): Promise<string | null> {
  const prepared = await conn.prepare(sql);
  const columns = Array.from({ length: prepared.columnCount }, (_, i) => ({ name: prepared.columnName(i), type: prepared.columnType(i) }));
  prepared.destroySync();
  const plan = linePlan(format, sql, columns);
  if (!plan) return null;
  const file = join(dir, `${format}-${Math.random().toString(36).slice(2)}.txt`);
  await conn.run(`COPY (${plan.select}) TO '${file}' ${RAW_LINES}`);
  const text = plan.header + (await readFile(file, 'utf8'));
  await rm(file);
  return text;
}

async function same(sql: string): Promise<void> {
  for (const format of ['ndjson', 'csv'] as const) {
    const expected = await javascript(sql, format);
    const actual = await engine(sql, format);
    expect(actual, `${format}: ${sql.slice(0, 60)}`).not.toBeNull();
    if (actual !== expected) {
      // The first differing line, rather than two long texts.
      const a = actual!.split('\n');
      const e = expected.split('\n');
      const i = a.findIndex((l, n) => l !== e[n]);
      expect(a[i], `${format}, line ${i}`).toBe(e[i]);
    }
    expect(actual).toBe(expected);
  }
}

describe('engine-written lines are the JavaScript encoder’s bytes', () => {
  it('doubles and floats of every magnitude, and the special values', async () => {
    await same(`SELECT x, CASE WHEN isnan(x) OR isinf(x) OR abs(x) < 3e38 THEN x::FLOAT END AS f FROM (
      SELECT ((hash(range) % 2000000007)::DOUBLE - 1000000000) / ((hash(range + 1) % 997) + 1)::DOUBLE * pow(10, (hash(range + 2) % 70)::INTEGER - 35) AS x FROM range(30000)
      UNION ALL SELECT (hash(range) % 100000000) / 100.0 FROM range(5000)
      UNION ALL SELECT unnest([0.0, -0.0, 1, -1, 12.0, 0.1, 1e21, 1e-7, 1.5e-7, 1e-6, 1e-5, 0.0001, 123e20, 9007199254740992, 9007199254740994, 9007199254740993.5,
        1e16, 9.999e15, 1e15 + 0.5, -1e-5, 5e-324, 1.7976931348623157e308, 2.2250738585072014e-308, 'nan'::DOUBLE, 'inf'::DOUBLE, '-inf'::DOUBLE, NULL])
    )`);
  });

  it('integers of every width, at and beyond what a JS number holds', async () => {
    await same(`SELECT * FROM (VALUES
      (1::TINYINT, (-128)::TINYINT, 255::UTINYINT, (-32768)::SMALLINT, 65535::USMALLINT, (-2147483648)::INTEGER, 4294967295::UINTEGER,
       9007199254740991::BIGINT, 9007199254740992::UBIGINT, (-170141183460469231731687303715884105727)::HUGEINT - 1, 340282366920938463463374607431768211455::UHUGEINT),
      (0, 127, 0, 32767, 0, 2147483647, 0, -9007199254740991, 9007199254740991, 9007199254740991, 0),
      (NULL, NULL, NULL, NULL, NULL, NULL, NULL, -9007199254740992, 18446744073709551615, -9007199254740992, 9007199254740992),
      (-1, -1, 1, -1, 1, -1, 1, 9223372036854775807, NULL, NULL, NULL)) v(a, b, c, d, e, f, g, h, i, j, k)`);
  });

  it('decimals, booleans, dates and timestamps', async () => {
    await same(`SELECT (((hash(range) % 19999)::BIGINT - 9999) / 100)::DECIMAL(4, 2) AS d4,
        (((hash(range) % 2000000000)::BIGINT - 1000000000) / 10000)::DECIMAL(18, 4) AS d18,
        (((hash(range) % 1000000000000)::HUGEINT * 12345 - 9999999999999999) / 1000000)::DECIMAL(38, 10) AS d38,
        (range % 7)::DECIMAL(9, 0) AS d0, range % 3 = 0 AS b, CASE WHEN range % 5 = 0 THEN NULL ELSE range % 2 = 0 END AS bn,
        DATE '0001-01-01' + (hash(range) % 3652058)::INTEGER AS day,
        TIMESTAMP '0001-01-01' + to_microseconds((hash(range) % 315537897599999999)::BIGINT) AS ts,
        TIMESTAMP '2024-02-03 04:05:06' + to_microseconds(range * 100000) AS ts_frac,
        (TIMESTAMP '1960-01-01' + to_microseconds((hash(range) % 3153789759999999)::BIGINT))::TIMESTAMPTZ AS tz
      FROM range(20000)
      UNION ALL SELECT 0.001, -0.5, 0, -7, NULL, NULL, DATE '1970-01-01', TIMESTAMP 'infinity', TIMESTAMP '1969-12-31 23:59:59.999999', TIMESTAMPTZ 'infinity'
      UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, TIMESTAMP '-infinity', NULL, TIMESTAMPTZ '-infinity'`);
  });

  it('strings: escapes, quoting, white space at either end, non-ASCII; enums; duplicate names', async () => {
    const chars = Array.from({ length: 0x80 }, (_, i) => `chr(${i})`).slice(1);
    await same(`SELECT s, s AS s, 'x' || s || 'y' AS inner, s || ' ' AS trailing, e FROM (
      SELECT unnest([${chars.join(', ')}, '', ' ', 'plain', 'a,b', 'say "hi"', 'two' || chr(10) || 'lines', 'cr' || chr(13), chr(160) || 'nbsp', 'ideo' || chr(12288),
        chr(8232) || 'ls', 'ps' || chr(8233), 'x' || chr(65279), 'zwsp' || chr(8203), 'é ü 中文 😀', '\\u001F', '\\' || chr(31), '\\\\u000B' || chr(11), '/slash', repeat('long ', 100), NULL]) AS s,
      'x'::ENUM('x', 'y z', '"q"') AS e
      UNION ALL SELECT 'last', 'y z' UNION ALL SELECT NULL, '"q"')`);
  });
});

describe('where the two differ on purpose (README: the client library’s decoding faults)', () => {
  it('DATE ±infinity is written so by both', async () => {
    const sql = "SELECT 'infinity'::DATE AS d, '-infinity'::DATE AS e";
    expect(await javascript(sql, 'ndjson')).toBe('{"d":"infinity","e":"-infinity"}\n');
    expect(await engine(sql, 'ndjson')).toBe('{"d":"infinity","e":"-infinity"}\n');
  });

  it('a leading byte-order mark is kept by the engine (the client library’s decoder drops it)', async () => {
    const sql = "SELECT chr(65279) || 'x' AS s";
    expect(await engine(sql, 'ndjson')).toBe('{"s":"\ufeffx"}\n');
    expect(await javascript(sql, 'ndjson')).toBe('{"s":"x"}\n');
  });
});

describe('what the engine does not write', () => {
  it('nested and other types are left to JavaScript', async () => {
    for (const sql of ['SELECT [1, 2] AS l', "SELECT {'a': 1} AS s", "SELECT TIME '01:02:03' AS t", "SELECT INTERVAL 1 DAY AS i", "SELECT 'x'::BLOB AS b", 'SELECT gen_random_uuid() AS u', 'SELECT 1 AS ok, [1] AS l']) {
      const prepared = await conn.prepare(sql);
      const columns = Array.from({ length: prepared.columnCount }, (_, i) => ({ name: prepared.columnName(i), type: prepared.columnType(i) }));
      prepared.destroySync();
      expect(linePlan('ndjson', sql, columns), sql).toBeNull();
    }
  });
});
