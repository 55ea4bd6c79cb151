/**
 * The processor's run-state writes (`saveJobState`, `unlockJob`), batched, and the lock
 * ownership check they make. Each run saves at start, on `touch()` and at the end; a run
 * that overran its lock lifetime may still be going when another run has taken the job
 * over, and its late saves must not clear or overwrite the newer run's lock and state.
 * Agenda's own backends (Mongo, Postgres, Redis) match on id and name only.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type { JobParameters } from 'agenda';
import type { SqlRunner } from '../state/system-db.js';
import { failReason, heldLock, setHeldLock, ts } from './duckdb-job-rows.js';

export interface StateSave {
  job: JobParameters;
  by: string | null;
}

/** Saved; the row is gone; or the row is locked by another run than the one saving. */
export type SaveOutcome = 'saved' | 'missing' | 'not-lock-holder';

/**
 * Writes the run state of every job in the batch (ids are distinct), each only if the
 * row's lock is still the one that job object holds. The held lock is read here, at the
 * batch's turn, so consecutive saves of one run each see the lock the previous one left.
 */
export async function saveStates(tx: SqlRunner, batch: readonly StateSave[]): Promise<SaveOutcome[]> {
  const values: DuckDBValue[] = [];
  const now = ts(new Date());
  for (const { job, by } of batch) {
    const held = heldLock(job);
    values.push(
      String(job._id),
      job.name,
      ts(job.lockedAt),
      ts(job.nextRunAt),
      ts(job.lastRunAt),
      job.progress ?? null,
      failReason(job.failReason),
      job.failCount ?? null,
      ts(job.failedAt),
      ts(job.lastFinishedAt),
      by,
      held !== undefined,
      held ?? null,
      now,
    );
  }
  const row =
    '(?::VARCHAR, ?::VARCHAR, ?::TIMESTAMP, ?::TIMESTAMP, ?::TIMESTAMP, ?::DOUBLE, ?::VARCHAR, ?::INTEGER, ?::TIMESTAMP, ?::TIMESTAMP, ?::VARCHAR, ?::BOOLEAN, ?::BIGINT, ?::TIMESTAMP)';
  const saved = await tx.all<{ id: string }>(
    `UPDATE jobs SET locked_at = v.locked_at, next_run_at = v.next_run_at, last_run_at = v.last_run_at, progress = v.progress,
       fail_reason = v.fail_reason, fail_count = v.fail_count, failed_at = v.failed_at, last_finished_at = v.last_finished_at,
       last_modified_by = v.modified_by, updated_at = v.updated_at
     FROM (VALUES ${batch.map(() => row).join(', ')})
       AS v(id, name, locked_at, next_run_at, last_run_at, progress, fail_reason, fail_count, failed_at, last_finished_at, modified_by, check_lock, held, updated_at)
     WHERE jobs.id = v.id AND jobs.name = v.name
       AND (NOT v.check_lock OR epoch_ms(jobs.locked_at) IS NOT DISTINCT FROM v.held)
     RETURNING jobs.id`,
    values, // all in VALUES: DuckDB numbers the FROM clause's parameters before SET's
  );
  const savedIds = new Set(saved.map((r) => r.id));
  const refused = batch.filter(({ job }) => !savedIds.has(String(job._id)));
  // Only a refused save costs a second look, to tell a removed job from a lost lock.
  const present = new Set<string>();
  if (refused.length) {
    const ids = refused.map(({ job }) => String(job._id));
    const rows = await tx.all<{ id: string }>(`SELECT id FROM jobs WHERE id IN (${ids.map(() => '?').join(', ')})`, ids);
    for (const r of rows) present.add(r.id);
  }
  return batch.map(({ job }) => {
    const id = String(job._id);
    if (savedIds.has(id)) {
      setHeldLock(job, job.lockedAt);
      return 'saved';
    }
    return present.has(id) ? 'not-lock-holder' : 'missing';
  });
}

/** The error `saveJobState` answers a refused save with, in Agenda's wording for a missing job. */
export function saveError(job: JobParameters, outcome: Exclude<SaveOutcome, 'saved'>): Error {
  return outcome === 'missing'
    ? new Error(`job ${job._id} (name: ${job.name}) cannot be updated in the database, maybe it does not exist anymore?`)
    : new Error(`job ${job._id} (name: ${job.name}) is locked by a newer run; the state of this run was not saved`);
}

/**
 * Releases the locks of jobs Agenda locked but will not run now. A running one-off (no
 * nextRunAt) keeps its lock, and a lock taken since by another run is left alone.
 */
export async function unlockBatch(tx: SqlRunner, batch: readonly JobParameters[]): Promise<undefined[]> {
  const values: DuckDBValue[] = batch.flatMap((job) => {
    const held = heldLock(job);
    return [String(job._id), held !== undefined && held !== null, held ?? null];
  });
  await tx.run(
    `UPDATE jobs SET locked_at = NULL
     FROM (VALUES ${batch.map(() => '(?::VARCHAR, ?::BOOLEAN, ?::BIGINT)').join(', ')}) AS v(id, check_lock, held)
     WHERE jobs.id = v.id AND jobs.next_run_at IS NOT NULL AND (NOT v.check_lock OR epoch_ms(jobs.locked_at) = v.held)`,
    values,
  );
  return batch.map(() => undefined);
}
