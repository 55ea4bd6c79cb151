import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import type { JobScheduler, JobSummary } from '../jobs/scheduler.js';

/**
 * How one run of a job ended. `durationMs` is the run's own time as the job store recorded
 * it (the wall time since it was queued when the store dropped the run; its `id` is then `removed`).
 */
export type JobOutcome = { readonly name: string; readonly id: string; readonly durationMs: number } & (
  { readonly ok: true } | { readonly ok: false; readonly error: string }
);

export interface RunJobOptions {
  /** Give up (reject) after this long; default 30 s. */
  timeoutMs?: number;
  /** True when the store drops completed runs (`jobs.remove_on_complete`): a run that is gone succeeded. */
  removesCompleted?: boolean;
}

const POLL_MS = 25;

/**
 * Queues one run of `name` and resolves once it has finished, using only the scheduler's
 * public API: `now()` stores the run, `list()` shows its state. The run is told apart from
 * other stored runs of the job by being new (and by its data, should two appear at once).
 */
export async function runJobNow(jobs: JobScheduler, name: string, data: Record<string, unknown> = {}, options: RunJobOptions = {}): Promise<JobOutcome> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const before = new Set((await jobs.list(name)).map((j) => j.id));
  const queuedAt = Date.now();
  await jobs.now(name, data);
  let id: string | undefined;
  let last: JobSummary | undefined;
  for (;;) {
    const runs = await jobs.list(name);
    const mine = id === undefined ? pickNew(runs, before, data) : runs.find((j) => j.id === id);
    if (mine) {
      id = mine.id;
      last = mine;
      const outcome = settled(mine, queuedAt);
      if (outcome) return outcome;
    } else if (id !== undefined || options.removesCompleted) {
      // Seen and then gone, or never seen: only a completed run is removed from the store.
      return { name, id: id ?? 'removed', ok: true, durationMs: Date.now() - queuedAt };
    }
    if (Date.now() - queuedAt > timeoutMs) {
      throw new Error(`runJob(${name}): no outcome after ${timeoutMs} ms (last state: ${last?.state ?? 'not stored'})`);
    }
    await sleep(POLL_MS);
  }
}

function pickNew(runs: readonly JobSummary[], before: ReadonlySet<string>, data: Record<string, unknown>): JobSummary | undefined {
  const fresh = runs.filter((j) => !before.has(j.id));
  return fresh.length > 1 ? (fresh.find((j) => isDeepStrictEqual(j.data, data)) ?? fresh[0]) : fresh[0];
}

function settled(run: JobSummary, queuedAt: number): JobOutcome | undefined {
  if (run.state !== 'failed' && run.state !== 'completed') return undefined;
  if (!run.lastFinishedAt) return undefined; // Agenda's default state for a run it has not touched yet
  const durationMs = run.lastRunAt ? run.lastFinishedAt.getTime() - run.lastRunAt.getTime() : Date.now() - queuedAt;
  return run.state === 'failed'
    ? { name: run.name, id: run.id, ok: false, error: run.failReason ?? 'failed without a reason', durationMs }
    : { name: run.name, id: run.id, ok: true, durationMs };
}
