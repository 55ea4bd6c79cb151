/**
 * Column profiles of one table, computed by DuckDB in as few scans as possible:
 *
 *   0. `DESCRIBE` and `SELECT count(*)`: catalog and Parquet metadata, no data read. The
 *      count decides on sampling (sampling.ts).
 *   1. ONE aggregate query with every per-column statistic: counts, nulls, distinct, min/max,
 *      mean/stddev/percentiles/zeros/NaN/inf, string lengths, `approx_top_k` candidates,
 *      true/false counts, date ranges (pass1.ts).
 *   2. ONE more aggregate query, only for what needs pass 1's results: equal-width numeric
 *      histograms (bounds from min/max), date histograms (unit from the span), exact counts of
 *      the top-value candidates, and exact distinct counts where the estimate is doubtful
 *      (pass2.ts).
 *
 * Alerts are then judged on the finished statistics (alerts.ts). This module runs the steps in
 * order and shapes the result; the types and defaults are in types.ts and re-exported here, so
 * that importers keep one entry point.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { alertsFor } from './alerts.js';
import { pass1Columns, planColumn, readPass1 } from './pass1.js';
import { pass2Column } from './pass2.js';
import { sampleClause, samplePlan, sampleTableName } from './sampling.js';
import { quoteName, rows } from './sql.js';
import { DEFAULT_ALERT_THRESHOLDS, DEFAULT_PROFILE_OPTIONS, type ProfileOptions, type ResolvedProfileOptions, type TableProfile } from './types.js';
import { cut, toNumber } from './values.js';

export { alertsFor } from './alerts.js';
export { quoteName } from './sql.js';
export { DEFAULT_ALERT_THRESHOLDS, DEFAULT_PROFILE_OPTIONS } from './types.js';
export type { AlertThresholds, AlertType, ColumnKind, ColumnProfile, HistogramBin, PeriodBin, ProfileAlert, ProfileOptions, TableProfile } from './types.js';

/** Profiles `table` (a table or view name of the connection's database). */
export async function profileTable(conn: DuckDBConnection, table: string, opts: ProfileOptions = {}): Promise<TableProfile> {
  const o: ResolvedProfileOptions = { ...DEFAULT_PROFILE_OPTIONS, ...stripUndefined(opts) };
  const thresholds = { ...DEFAULT_ALERT_THRESHOLDS, ...stripUndefined(opts.alerts ?? {}) };
  const started = performance.now();
  const profiledAt = new Date();
  const source = quoteName(table);

  const described = await rows(conn, `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${source})`);
  const plans = described.map((d) => planColumn(String(d.column_name), String(d.column_type)));
  const total = toNumber((await rows(conn, `SELECT count(*) AS n FROM ${source}`))[0].n) ?? 0;

  const { sampled, method } = samplePlan(total, o, opts.sampleMethod);
  let scans = 0;
  let from = source;
  let temp: string | null = null;
  try {
    if (method) {
      const sample = sampleClause(method, total, o);
      temp = sampleTableName();
      await conn.run(`CREATE TEMP TABLE ${temp} AS SELECT * FROM ${source} USING SAMPLE ${sample}`);
      scans++;
      from = temp;
    }
    // A system sample's size is only known once counted; decide on exactness by the size asked for.
    const exact = (sampled ? Math.min(o.sampleSize, total) : total) <= o.exactMaxRows;

    // Pass 1: every per-column statistic in one aggregate.
    const select: string[] = ['count(*) AS n'];
    plans.forEach((p, i) => select.push(...pass1Columns(p, `c${i}_`, exact, o.topK, o.maxValueLength)));
    const first = (await rows(conn, `SELECT ${select.join(', ')} FROM ${from}`))[0];
    scans++;
    const n = toNumber(first.n) ?? 0;

    const columns = plans.map((p, i) => readPass1(p, first, `c${i}_`, n, exact, o));

    // Pass 2: histograms and exact counts of the top-value candidates.
    const select2: string[] = [];
    const params: DuckDBValue[] = [];
    const readers: ((row: Record<string, unknown>) => void)[] = [];
    plans.forEach((p, i) => pass2Column(p, columns[i], first, `c${i}_`, o, select2, params, readers));
    if (select2.length) {
      const second = (await rows(conn, `SELECT ${select2.join(', ')} FROM ${from}`, params))[0];
      scans++;
      for (const r of readers) r(second);
    }
    for (const c of columns) if (c.top_values) c.top_values = c.top_values.map((t) => ({ value: cut(t.value, o.maxValueLength), count: t.count }));

    return {
      table,
      rows: total,
      columns,
      sampled,
      sample_method: method,
      sample_size: sampled ? n : null,
      methods: {
        distinct: exact ? 'count_distinct' : 'approx_count_distinct',
        percentiles: exact ? 'quantile_cont' : 'approx_quantile',
        top_values: 'approx_top_k candidates, exact counts',
      },
      profiled_at: profiledAt.toISOString(),
      duration_ms: Math.round(performance.now() - started),
      alerts: alertsFor(columns, n, thresholds),
      scans,
    };
  } finally {
    if (temp) await conn.run(`DROP TABLE IF EXISTS ${temp}`).catch(() => undefined);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
