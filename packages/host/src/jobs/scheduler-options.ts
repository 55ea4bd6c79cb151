/**
 * Checks a job's options before Agenda sees them: durations, concurrency, retry and the
 * schedule. Agenda would save a broken schedule without a word, so each problem is
 * reported here as an InputError that names the job.
 */
import type { Agenda } from 'agenda';
import { InputError, parseDuration, type JobOptions } from '@aida/core';

/** What the host states for a job (plugin options with instance overrides applied). */
export interface ScheduledJobOptions extends JobOptions {
  /** A disabled job is not run by this instance and cannot be queued. Default true. */
  enabled?: boolean;
  /**
   * Re-runs a failed run after `delay`, doubling it each time, at most `attempts` times
   * (Agenda's exponential backoff). Without it Agenda does not retry: a failed one-off job
   * stays failed and a recurring job runs again at its next occurrence.
   */
  retry?: { attempts: number; delay: string };
}

/** The options of a job in milliseconds, with its schedule in the form Agenda stores. */
export interface CheckedJobOptions {
  lockLifetime: number;
  retryDelay: number;
  interval: string | undefined;
}

/** Checks lock lifetime, concurrency, retry and schedule, in that order; throws naming the job. */
export function checkJobOptions(agenda: Agenda, fullName: string, options: ScheduledJobOptions): CheckedJobOptions {
  const lockLifetime = durationOf(fullName, 'lockLifetime', options.lockLifetime);
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new InputError(`job ${fullName}: concurrency must be a positive integer, got ${options.concurrency}`);
  }
  const retry = options.retry;
  if (retry && (!Number.isInteger(retry.attempts) || retry.attempts < 1)) {
    throw new InputError(`job ${fullName}: retry.attempts must be a positive integer, got ${retry.attempts}`);
  }
  const retryDelay = retry ? durationOf(fullName, 'retry.delay', retry.delay) : 0;
  const interval = options.schedule === undefined ? undefined : checkSchedule(agenda, fullName, options.schedule);
  return { lockLifetime, retryDelay, interval };
}

/** Returns the schedule as Agenda stores it, or throws naming the job: Agenda itself would save a broken schedule silently. */
export function checkSchedule(agenda: Agenda, fullName: string, schedule: string): string {
  let interval = schedule.trim();
  try {
    interval = String(parseDuration(interval)); // `30m` → '1800000', which Agenda reads as milliseconds
  } catch {
    // not a duration: a cron expression or a human interval
  }
  const probe = agenda.create(fullName, {});
  probe.repeatEvery(interval);
  if (probe.attrs.failReason !== undefined || !probe.attrs.nextRunAt) {
    throw new InputError(
      `job ${fullName}: invalid schedule ${JSON.stringify(schedule)}; use a cron expression (*/15 * * * *), a human interval (15 minutes) or a duration (15m)`,
    );
  }
  return interval;
}

function durationOf(fullName: string, field: string, value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InputError(`job ${fullName}: ${field} ${err instanceof Error ? err.message : String(err)}`);
  }
}
