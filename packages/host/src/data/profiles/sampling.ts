/**
 * Sampling of large tables: whether a table is profiled on a sample, and the `USING SAMPLE`
 * clause and temp-table name that materialise it.
 *
 * Tables above `sampleThreshold` rows are profiled on a sample, materialised once in a temp
 * table (the analytics database is read-only; temp tables live in memory) so that both passes
 * see the same rows: DuckDB's sampling is not repeatable across queries when scans run in
 * parallel. The default is a system sample (`USING SAMPLE p% (system, seed)`): whole vectors of
 * 2,048 rows, the others skipped without being read, so sampling a 10M-row table costs about
 * a tenth of a scan. `sampleMethod: 'reservoir'` draws a uniform `reservoir(N ROWS)` sample
 * instead (one full scan), for data so clustered that whole vectors would mislead; it is also
 * used for samples under 100,000 rows, where a system sample would be only a few vectors.
 */
import { randomBytes } from 'node:crypto';
import { int, quoteName } from './sql.js';
import type { ProfileOptions, ResolvedProfileOptions } from './types.js';

export type SampleMethod = NonNullable<ProfileOptions['sampleMethod']>;

/** Whether a table of `total` rows is profiled on a sample, and by which method (null when not). */
export function samplePlan(total: number, o: ResolvedProfileOptions, requested: SampleMethod | undefined): { sampled: boolean; method: SampleMethod | null } {
  const sampled = total > o.sampleThreshold && o.sampleSize < total;
  const method = sampled ? (requested ?? (o.sampleSize >= 100_000 ? 'system' : 'reservoir')) : null;
  return { sampled, method };
}

/** What follows `USING SAMPLE`: about `o.sampleSize` of the table's `total` rows. */
export function sampleClause(method: SampleMethod, total: number, o: ResolvedProfileOptions): string {
  return method === 'system'
    ? `${Math.min(100, (o.sampleSize / total) * 100).toFixed(8)}% (system, ${int(o.seed)})`
    : `reservoir(${int(o.sampleSize)} ROWS) REPEATABLE (${int(o.seed)})`;
}

/** A fresh, quoted name for the temp table that holds one profile's sample. */
export function sampleTableName(): string {
  return quoteName(`__aida_profile_sample_${randomBytes(6).toString('hex')}`);
}
