import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileTable, type ColumnProfile, type TableProfile } from '../../../src/data/profiles/profiler.js';

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

const col = (p: TableProfile, name: string): ColumnProfile => {
  const c = p.columns.find((x) => x.name === name);
  if (!c) throw new Error(`no column ${name} in ${p.columns.map((x) => x.name).join(', ')}`);
  return c;
};
const alertsOf = (p: TableProfile, name: string) => p.alerts.filter((a) => a.column === name).map((a) => a.type).sort();

/** An independent count, straight from DuckDB, to hold the profiler's numbers against. */
async function scalar(sql: string): Promise<number> {
  const r = await conn.runAndReadAll(sql);
  return Number(r.getRows()[0][0]);
}

describe('profileTable: alerts', () => {
  let p: TableProfile;
  beforeAll(async () => {
    // 100 rows; each crafted column triggers one alert type, the clean_* columns none.
    await conn.run(`CREATE TABLE crafted AS SELECT
        'x' AS const_col,
        range AS uniq,
        CASE WHEN range % 10 = 0 THEN NULL ELSE range % 20 + 1 END AS some_missing,
        CASE WHEN range % 10 < 4 THEN NULL ELSE range % 30 + 1 END AS lots_missing,
        CASE WHEN range < 60 THEN 0 ELSE range END AS zeros_col,
        CASE WHEN range < 70 THEN 'a' ELSE 'b' || (range % 3) END AS skewed,
        'h' || (range % 80) AS high_card,
        range % 10 <> 0 AS skewed_flag,
        range % 37 + 1 AS clean_num,
        'c' || (range % 5) AS clean_cat,
        range % 2 = 0 AS clean_flag,
        CASE WHEN range % 25 = 0 THEN NULL ELSE range % 9 + 1 END AS clean_few_missing
      FROM range(100)`);
    p = await profileTable(conn, 'crafted');
  });

  it('each crafted column triggers its alert, with the measured value', () => {
    expect(alertsOf(p, 'const_col')).toEqual(['constant']);
    expect(p.alerts.find((a) => a.column === 'const_col')).toMatchObject({ type: 'constant', value: 'x' });
    expect(alertsOf(p, 'uniq')).toEqual(['unique']);
    expect(p.alerts.find((a) => a.column === 'uniq')?.value).toBe(100);
    expect(alertsOf(p, 'some_missing')).toEqual(['missing']);
    expect(p.alerts.find((a) => a.column === 'some_missing')?.value).toBe(10);
    expect(alertsOf(p, 'lots_missing')).toEqual(['high_missing']);
    expect(p.alerts.find((a) => a.column === 'lots_missing')?.value).toBe(40);
    expect(alertsOf(p, 'zeros_col')).toEqual(['zeros']);
    expect(p.alerts.find((a) => a.column === 'zeros_col')?.value).toBe(60);
    expect(alertsOf(p, 'skewed')).toEqual(['imbalance']);
    expect(p.alerts.find((a) => a.column === 'skewed')).toMatchObject({ value: 70, message: expect.stringContaining('"a"') });
    expect(alertsOf(p, 'skewed_flag')).toEqual(['imbalance']);
    expect(p.alerts.find((a) => a.column === 'skewed_flag')?.value).toBe(90);
    expect(alertsOf(p, 'high_card')).toEqual(['high_cardinality']);
    expect(p.alerts.find((a) => a.column === 'high_card')?.value).toBe(80);
    for (const a of p.alerts) expect(a.message).toEqual(expect.stringContaining(a.column));
  });

  it('clean columns trigger none (4 % missing is under the 5 % threshold)', () => {
    for (const c of ['clean_num', 'clean_cat', 'clean_flag', 'clean_few_missing']) expect(alertsOf(p, c)).toEqual([]);
    expect(col(p, 'clean_few_missing').null_pct).toBe(4);
  });

  it('thresholds are configurable', async () => {
    const strict = await profileTable(conn, 'crafted', { alerts: { missing: 0.01, imbalance: 0.95 } });
    expect(alertsOf(strict, 'clean_few_missing')).toEqual(['missing']);
    expect(alertsOf(strict, 'skewed')).toEqual([]);
  });
});

describe('profileTable: sampling and approximation', () => {
  beforeAll(async () => {
    await conn.run(`CREATE TABLE big AS SELECT range AS id, CASE WHEN range % 4 = 0 THEN NULL ELSE range % 100 END AS v, 'k' || (range % 7) AS k FROM range(10000)`);
  });

  it('profiles a reservoir sample above the threshold (small samples), keeping the true row count', async () => {
    const p = await profileTable(conn, 'big', { sampleThreshold: 1000, sampleSize: 500 });
    expect(p).toMatchObject({ rows: 10000, sampled: true, sample_method: 'reservoir', sample_size: 500, scans: 3 });
    for (const c of p.columns) expect(c.null_count).toBeLessThanOrEqual(500);
    const id = col(p, 'id');
    // Every sampled id is distinct: the sample's own distinct count is its size.
    expect(id.distinct_count).toBe(500);
    expect(alertsOf(p, 'id')).toEqual(['unique']);
    // About a quarter of v is null in any fair sample of 500 rows.
    expect(col(p, 'v').null_pct).toBeGreaterThan(15);
    expect(col(p, 'v').null_pct).toBeLessThan(35);
    expect(col(p, 'k').top_values!.reduce((s, t) => s + t.count, 0)).toBe(500);
    // The temp table holding the sample is gone.
    expect(await scalar(`SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '__aida_profile_sample_%'`)).toBe(0);
  });

  it('profiles a system sample (whole vectors) when the sample is large, both passes on the same rows', async () => {
    await conn.run(`CREATE TABLE million AS SELECT range AS id, CASE WHEN range % 4 = 0 THEN NULL ELSE range % 100 END AS v, 'k' || (range % 7) AS k FROM range(1000000)`);
    const p = await profileTable(conn, 'million', { sampleThreshold: 500000, sampleSize: 200000 });
    expect(p).toMatchObject({ rows: 1000000, sampled: true, sample_method: 'system', scans: 3 });
    // Whole vectors of 2,048 rows: about 20 % of them.
    expect(p.sample_size! % 2048).toBe(0);
    expect(p.sample_size).toBeGreaterThan(150000);
    expect(p.sample_size).toBeLessThan(250000);
    expect(col(p, 'id')).toMatchObject({ distinct_count: p.sample_size, null_count: 0 });
    expect(col(p, 'v').null_pct).toBeCloseTo(25, 0);
    // Pass 2 (top-value counts, histograms) saw exactly the rows pass 1 counted.
    expect(col(p, 'k').top_values!.reduce((s, t) => s + t.count, 0)).toBe(p.sample_size);
    expect((col(p, 'id').histogram as { count: number }[]).reduce((s, b) => s + b.count, 0)).toBe(p.sample_size);
    const v = col(p, 'v');
    expect((v.histogram as { count: number }[]).reduce((s, b) => s + b.count, 0)).toBe(p.sample_size! - v.null_count);
    // Asked for explicitly, a reservoir sample has exactly the size asked for.
    const uniform = await profileTable(conn, 'million', { sampleThreshold: 500000, sampleSize: 200000, sampleMethod: 'reservoir' });
    expect(uniform).toMatchObject({ sample_method: 'reservoir', sample_size: 200000, scans: 3 });
    expect(await scalar(`SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '__aida_profile_sample_%'`)).toBe(0);
  });

  it('does not sample at or below the threshold', async () => {
    const p = await profileTable(conn, 'big', { sampleThreshold: 10000, sampleSize: 500 });
    expect(p).toMatchObject({ rows: 10000, sampled: false, sample_method: null, sample_size: null, scans: 2 });
    expect(col(p, 'v').null_count).toBe(2500);
  });

  it('above exactMaxRows uses approx_count_distinct and approx_quantile, recounting few-valued and likely-unique columns exactly', async () => {
    await conn.run(`CREATE TABLE wide AS SELECT range AS id, range % 150000 AS half, 'k' || (range % 7) AS k, range % 100 AS v FROM range(300000)`);
    const p = await profileTable(conn, 'wide', { exactMaxRows: 1000 });
    expect(p.methods).toMatchObject({ distinct: 'approx_count_distinct', percentiles: 'approx_quantile' });
    expect(col(p, 'id')).toMatchObject({ distinct_count: 300000, distinct_approx: false });
    expect(alertsOf(p, 'id')).toEqual(['unique']);
    expect(col(p, 'k')).toMatchObject({ distinct_count: 7, distinct_approx: false });
    expect(col(p, 'v')).toMatchObject({ distinct_count: 100, distinct_approx: false });
    // Too many values to recount cheaply, too few to be unique: the HyperLogLog estimate stays.
    const half = col(p, 'half');
    expect(half.distinct_approx).toBe(true);
    expect(half.distinct_count).toBeGreaterThan(100000);
    expect(half.distinct_count).toBeLessThan(255000);
    expect(col(p, 'v').percentiles!.p50).toBeGreaterThan(45);
    expect(col(p, 'v').percentiles!.p50).toBeLessThan(55);
  });
});

describe('profileTable: awkward tables', () => {
  it('quotes any table and column name: spaces, quotes, unicode, reserved words, SQL punctuation', async () => {
    await conn.run(`CREATE TABLE "we""ird ""table"" name" AS SELECT
        range AS "order id", 'v' || (range % 2) AS "it's ""quoted""", range * 1.5 AS "čísla 数字",
        range % 3 AS "select", range % 2 = 0 AS "from", 'x' AS "a;b--c/*", range AS "GROUP"
      FROM range(6)`);
    const p = await profileTable(conn, 'we"ird "table" name');
    expect(p.table).toBe('we"ird "table" name');
    expect(p.columns.map((c) => c.name)).toEqual(['order id', `it's "quoted"`, 'čísla 数字', 'select', 'from', 'a;b--c/*', 'GROUP']);
    expect(col(p, 'order id')).toMatchObject({ min: 0, max: 5, mean: 2.5, distinct_count: 6 });
    expect(col(p, `it's "quoted"`).top_values).toEqual([{ value: 'v0', count: 3 }, { value: 'v1', count: 3 }]);
    expect(col(p, 'čísla 数字')).toMatchObject({ min: 0, max: 7.5 });
    expect(col(p, 'select')).toMatchObject({ min: 0, max: 2, distinct_count: 3 });
    expect(col(p, 'from')).toMatchObject({ true_count: 3, false_count: 3 });
    expect(alertsOf(p, 'a;b--c/*')).toEqual(['constant']);
  });

  it('an empty table gives zero counts, no statistics and no alerts', async () => {
    await conn.run(`CREATE TABLE empty_t (a INTEGER, b VARCHAR, c DATE, d BOOLEAN, e DOUBLE[])`);
    const p = await profileTable(conn, 'empty_t');
    expect(p).toMatchObject({ rows: 0, sampled: false, sample_size: null, alerts: [] });
    expect(col(p, 'a')).toMatchObject({ null_count: 0, null_pct: 0, distinct_count: 0, min: null, max: null, mean: null, percentiles: null, histogram: [] });
    expect(col(p, 'b')).toMatchObject({ distinct_count: 0, top_values: [], min_length: null });
    expect(col(p, 'c')).toMatchObject({ min: null, max: null, histogram: [] });
    expect(col(p, 'd')).toMatchObject({ true_count: 0, false_count: 0 });
    expect(col(p, 'e')).toMatchObject({ kind: 'nested', distinct_count: 0 });
  });

  it('NaN/inf, all-null, nested and very long values: JSON-safe, counted apart, cut short', async () => {
    await conn.run(`CREATE TABLE odd AS SELECT
        CASE WHEN range = 0 THEN 'nan'::DOUBLE WHEN range = 1 THEN 'inf'::DOUBLE WHEN range = 2 THEN '-inf'::DOUBLE ELSE range END AS f,
        NULL::VARCHAR AS nothing,
        NULL::DOUBLE AS no_number,
        [range, range + 1] AS l,
        {'a': range % 2, 'b': 'x'} AS st,
        MAP {'k': range % 3} AS m,
        repeat('long', 2500) || range AS long_text,
        DATE '2020-01-01' + (range * 40)::INTEGER AS d,
        TIMESTAMPTZ '2021-01-01 00:00:00+00' + INTERVAL (range) DAY AS tz,
        TIME '10:00:00' + INTERVAL (range) MINUTE AS tm,
        gen_random_uuid() AS u,
        'b'::BLOB AS bl,
        (range % 3)::VARCHAR::ENUM('0', '1', '2') AS en
      FROM range(10)`);
    const p = await profileTable(conn, 'odd', { maxValueLength: 50 });
    const json = JSON.stringify(p);
    expect(json).not.toMatch(/NaN|Infinity/);
    expect(col(p, 'f')).toMatchObject({ nan_count: 1, inf_count: 2, min: 3, max: 9, mean: 6, distinct_count: 10 });
    expect((col(p, 'f').histogram as { count: number }[]).reduce((s, b) => s + b.count, 0)).toBe(7);
    expect(col(p, 'nothing')).toMatchObject({ null_count: 10, null_pct: 100, distinct_count: 0, top_values: [], min: null });
    expect(col(p, 'no_number')).toMatchObject({ null_count: 10, mean: null, stddev: null, percentiles: null, histogram: [] });
    expect(alertsOf(p, 'nothing')).toEqual(['high_missing']);
    for (const n of ['l', 'st', 'm']) {
      expect(col(p, n).kind).toBe('nested');
      expect(Object.keys(col(p, n)).sort()).toEqual(['distinct_approx', 'distinct_count', 'kind', 'name', 'null_count', 'null_pct', 'type']);
    }
    expect(col(p, 'l').distinct_count).toBe(10);
    expect(col(p, 'st').distinct_count).toBe(2);
    expect(col(p, 'm').distinct_count).toBe(3);
    const long = col(p, 'long_text');
    expect(long).toMatchObject({ min_length: 10001, max_length: 10001 });
    expect((long.min as string).length).toBe(51);
    expect((long.min as string).endsWith('…')).toBe(true);
    for (const t of long.top_values!) expect(t.value.length).toBeLessThanOrEqual(51);
    expect(json.length).toBeLessThan(20000);
    expect(col(p, 'd')).toMatchObject({ min: '2020-01-01', max: '2020-12-26', histogram_unit: 'month' });
    expect((col(p, 'd').histogram as { period: string; count: number }[]).map((b) => b.period)).toEqual([
      '2020-01', '2020-02', '2020-03', '2020-04', '2020-06', '2020-07', '2020-08', '2020-10', '2020-11', '2020-12',
    ]);
    expect(col(p, 'tz')).toMatchObject({ kind: 'temporal', histogram_unit: 'day' });
    expect((col(p, 'tz').histogram as unknown[]).length).toBe(10);
    expect(col(p, 'tm')).toMatchObject({ kind: 'other', min: '10:00:00', max: '10:09:00' });
    expect(col(p, 'u')).toMatchObject({ kind: 'other', distinct_count: 10 });
    expect(col(p, 'bl')).toMatchObject({ kind: 'other', distinct_count: 1 });
    expect(col(p, 'en')).toMatchObject({ kind: 'string', distinct_count: 3, top_values: [{ value: '0', count: 4 }, { value: '1', count: 3 }, { value: '2', count: 3 }] });
  });

  it('integers beyond 2^53 keep their exact min/max as strings', async () => {
    await conn.run(`CREATE TABLE huge AS SELECT (9007199254740993::HUGEINT + range) AS h FROM range(3)`);
    const p = await profileTable(conn, 'huge');
    expect(col(p, 'h')).toMatchObject({ min: '9007199254740993', max: '9007199254740995', distinct_count: 3 });
  });
});
