/**
 * The scheduler's graceful stop: abort running handlers, give them `stop_timeout`, then
 * release every lock this instance still holds, so no job waits out its lock lifetime
 * after a restart. Agenda's own drain leaves those locks in place.
 */
import type { Agenda } from 'agenda';
import type pino from 'pino';
import { parseDuration } from '@aida/core';
import type { JobsBackend } from './backends.js';
import type { JobsConfig } from './config.js';

/** What the stop needs of the scheduler; `running` is the live set its handlers update. */
export interface ShutdownContext {
  agenda: Agenda;
  backend: JobsBackend;
  config: JobsConfig;
  log: pino.Logger;
  workerName: string;
  /** The scheduler's start, if it was ever started. */
  starting: Promise<void> | undefined;
  running: ReadonlySet<{ controller: AbortController }>;
}

export async function shutdown(s: ShutdownContext): Promise<void> {
  if (!s.starting) {
    await s.backend.disconnect();
    return;
  }
  await s.starting.catch(() => undefined);
  for (const { controller } of s.running) controller.abort(new Error('job scheduler is stopping'));
  // drain() stops polling at once. Its own wait is not used: it counts 'complete' events,
  // which a run emits before its last write (removing a finished one-off), so it can miss
  // a run that completed just before the call and then wait for the full timeout.
  const release = new AbortController();
  const drained = s.agenda.drain({ signal: release.signal, closeConnection: false });
  const timeout = parseDuration(s.config.stop_timeout);
  const left = await waitForRunningJobs(s, timeout);
  release.abort();
  await drained;
  if (left > 0) s.log.warn({ running: left, timeoutMs: timeout }, 'jobs still running after stop_timeout; releasing their locks');
  try {
    await releaseLocks(s);
  } catch (err) {
    s.log.error({ err }, 'cannot release job locks; they expire after their lock lifetime');
  }
  await s.backend.disconnect();
  s.log.info({ worker: s.workerName }, 'job scheduler stopped');
}

/** Polls Agenda's own count, which covers a run from its first write to its last. */
async function waitForRunningJobs(s: ShutdownContext, timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let running: number;
    try {
      const stats = await s.agenda.getRunningStats();
      running = typeof stats.runningJobs === 'number' ? stats.runningJobs : stats.runningJobs.length;
    } catch {
      running = s.running.size; // the processor is gone (nothing was running) or the count query failed
    }
    if (running === 0 || Date.now() >= until) return running;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Unlocks what this instance still holds: runs it had locked but not started, and runs
 * that ignored their signal past `stop_timeout`. Agenda's drain leaves both locked.
 */
async function releaseLocks(s: ShutdownContext): Promise<void> {
  const { jobs } = await s.agenda.queryJobs({ state: 'running' });
  const ours = jobs.filter((j) => j.lockedAt && j.lastModifiedBy === s.workerName);
  if (ours.length === 0) return;
  const rerun = ours.filter((j) => !j.nextRunAt && !j.repeatInterval && !j.repeatAt);
  for (const j of rerun) {
    await s.agenda.db.saveJobState({ ...j, lockedAt: undefined, nextRunAt: new Date() }, { lastModifiedBy: s.workerName });
  }
  const unlock = ours.filter((j) => !rerun.includes(j)).map((j) => j._id);
  if (unlock.length) await s.agenda.db.unlockJobs(unlock);
  s.log.info({ released: ours.length }, 'released job locks');
}
