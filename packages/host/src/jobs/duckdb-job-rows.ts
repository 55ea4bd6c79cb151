/**
 * Row mapping for the DuckDB job repository: the shape of a `jobs` row, the conversion of
 * Agenda's values into bound DuckDB parameters, and of a row back into `JobParameters`.
 * Kept apart so the repository and its write helpers agree on one encoding.
 */
import { timestampValue, type DuckDBValue } from '@duckdb/node-api';
import { toJobId, type JobParameters } from 'agenda';
import { failReasonText } from './fail-reason.js';

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

/**
 * `failReason` as stored: text. Agenda's `fail()` keeps a thrown non-Error as it is, so an
 * object or number can arrive here despite the `string` type; bound as is, DuckDB refuses it.
 */
export function failReason(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : failReasonText(value);
}

/**
 * The lock a job object holds, as this repository last read or wrote it: `locked_at` in
 * epoch milliseconds, or null when the row was unlocked. It lets `saveJobState` save only
 * for the run that holds the lock. A symbol property rather than a WeakMap because Agenda
 * copies the locked row into its Job (`{ ...row }`), which copies it along; JSON, Agenda's
 * `toJson` and the other backends never see it.
 */
const HELD_LOCK = Symbol('aida:jobs:held-lock');

type WithHeldLock = { [HELD_LOCK]?: number | null };

/** The lock `job` holds, or undefined when it did not come from this repository (no check is possible). */
export function heldLock(job: JobParameters): number | null | undefined {
  return (job as WithHeldLock)[HELD_LOCK];
}

/** Records the lock `job` holds after a save or a lock. */
export function setHeldLock(job: JobParameters, lockedAt: Date | null | undefined): void {
  (job as WithHeldLock)[HELD_LOCK] = lockedAt ? lockedAt.getTime() : null;
}

const undef = <T>(value: T | null): T | undefined => (value === null ? undefined : value);

export function toJob(row: JobRow): JobParameters {
  const job: JobParameters = {
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
  setHeldLock(job, row.locked_at);
  return job;
}
