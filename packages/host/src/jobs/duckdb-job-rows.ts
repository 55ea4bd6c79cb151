/**
 * Row mapping for the DuckDB job repository: the shape of a `jobs` row, the conversion of
 * Agenda's values into bound DuckDB parameters, and of a row back into `JobParameters`.
 * Kept apart so the repository and its write helpers agree on one encoding.
 */
import { timestampValue, type DuckDBValue } from '@duckdb/node-api';
import { toJobId, type JobParameters } from 'agenda';

/** A row of the `jobs` table (migration 002) as `SystemDb.all` returns it. */
export interface JobRow {
  id: string;
  name: string;
  priority: number;
  type: string;
  next_run_at: Date | null;
  locked_at: Date | null;
  last_run_at: Date | null;
  last_finished_at: Date | null;
  failed_at: Date | null;
  fail_count: number | null;
  fail_reason: string | null;
  repeat_interval: string | null;
  repeat_timezone: string | null;
  repeat_at: string | null;
  data: string | null;
  disabled: boolean;
  progress: number | null;
  fork: boolean;
  last_modified_by: string | null;
  debounce_started_at: Date | null;
  start_date: Date | null;
  end_date: Date | null;
  skip_days: string | null;
}

/** Dates go to DuckDB as UTC TIMESTAMPs (microseconds); DuckDB hands them back as `Date`s. */
export function ts(value: Date | string | null | undefined): DuckDBValue {
  if (value === null || value === undefined) return null;
  const ms = (value instanceof Date ? value : new Date(value)).getTime();
  return Number.isNaN(ms) ? null : timestampValue(BigInt(ms) * 1000n);
}

/** A scalar for a bound parameter: dates as timestamps, objects as JSON text. */
export function param(value: unknown): DuckDBValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return ts(value);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

export const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
const undef = <T>(value: T | null): T | undefined => (value === null ? undefined : value);

export function toJob(row: JobRow): JobParameters {
  return {
    _id: toJobId(row.id),
    name: row.name,
    priority: row.priority,
    nextRunAt: row.next_run_at,
    type: row.type === 'single' ? 'single' : 'normal',
    lockedAt: undef(row.locked_at),
    lastRunAt: undef(row.last_run_at),
    lastFinishedAt: undef(row.last_finished_at),
    failedAt: undef(row.failed_at),
    failCount: undef(row.fail_count),
    failReason: undef(row.fail_reason),
    repeatInterval: undef(row.repeat_interval),
    repeatTimezone: undef(row.repeat_timezone),
    repeatAt: undef(row.repeat_at),
    data: row.data === null ? undefined : JSON.parse(row.data),
    disabled: row.disabled,
    progress: undef(row.progress),
    fork: row.fork,
    lastModifiedBy: undef(row.last_modified_by),
    debounceStartedAt: undef(row.debounce_started_at),
    startDate: undef(row.start_date),
    endDate: undef(row.end_date),
    skipDays: row.skip_days === null ? undefined : JSON.parse(row.skip_days),
  };
}
