/**
 * The host's job scheduler on Agenda: definitions, one-off runs, start, stop and health.
 * Option checks, recurring-job bookkeeping and the graceful stop live in the scheduler-*
 * modules beside it; this file ties them to one Agenda instance.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Agenda, backoffStrategies, type Job, type JobState } from 'agenda';
import type pino from 'pino';
import { parseDuration, type JobHandler, type JobOutcome } from '@aida/core';
import { JobDisabledError, JobUnknownError } from '../errors.js';
import type { JobRunLog } from './run-log.js';
import type { SystemDb } from '../state/system-db.js';
import { createJobsBackend, watchErrors, type JobsBackend } from './backends.js';
import { asError } from './fail-reason.js';
import type { JobsConfig } from './config.js';
import { checkJobOptions, checkSchedule, type ScheduledJobOptions } from './scheduler-options.js';
import { handlerData, RecurringJobs } from './scheduler-recurring.js';
import { shutdown } from './scheduler-shutdown.js';

export type { ScheduledJobOptions } from './scheduler-options.js';

export interface SchedulerHealth {
  status: 'healthy' | 'degraded' | 'unhealthy';
  detail?: string;
}

export interface JobSummary {
  id: string;
  name: string;
  state: JobState;
  data: Record<string, unknown>;
  schedule?: string | undefined;
  nextRunAt?: Date | undefined;
  lastRunAt?: Date | undefined;
  lastFinishedAt?: Date | undefined;
  failCount: number;
  failReason?: string | undefined;
  disabled: boolean;
}

interface Definition {
  name: string;
  handler: JobHandler;
  options: ScheduledJobOptions;
  enabled: boolean;
  /** The schedule in the form Agenda stores (durations like `30m` become milliseconds). */
  interval: string | undefined;
}

interface Running {
  job: Job;
  controller: AbortController;
}

/** How long an Agenda `error` event keeps health at degraded. */
const ERROR_MEMORY_MS = 60_000;

/**
 * Runs the host's jobs on Agenda: definitions with their lock lifetime and concurrency,
 * recurring schedules, one-off runs, a graceful stop and a health summary.
 *
 * Several instances may share one backend (postgres/redis/mongo); Agenda's atomic lock
 * makes each due run happen on one of them. Each job's lock limit equals its concurrency,
 * so an instance never hoards more due runs than it can start (the "one instance starves
 * the others" failure of a lock limit of 0).
 */
export class JobScheduler {
  private readonly definitions = new Map<string, Definition>();
  private readonly running = new Set<Running>();
  private readonly recurring: RecurringJobs;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private started = false;
  private lastError: { at: number; message: string } | undefined;

  /** Where finished runs are recorded for the jobs admin API (none in bare scheduler tests). */
  private runLog: JobRunLog | undefined;
  /** Whether this host runs jobs (false on a web host: it only queues them). */
  private processes = true;

  private constructor(
    private readonly agenda: Agenda,
    private readonly backend: JobsBackend,
    private readonly config: JobsConfig,
    private readonly log: pino.Logger,
    /** Unique per scheduler: Agenda records it as `lastModifiedBy` on what it locks. */
    readonly workerName: string,
  ) {
    this.recurring = new RecurringJobs(agenda, log);
    agenda.on('error', (err: Error) => {
      this.lastError = { at: Date.now(), message: err.message };
      log.error({ err }, 'job scheduler error');
    });
    agenda.on('retry', (job: Job, details: { attempt: number; delay: number }) =>
      log.info({ job: job.attrs.name, jobId: String(job.attrs._id), attempt: details.attempt, delayMs: details.delay }, 'job retry scheduled'),
    );
    agenda.on('retry exhausted', (err: Error, job: Job) =>
      log.warn({ job: job.attrs.name, jobId: String(job.attrs._id), failCount: job.attrs.failCount, reason: err.message }, 'job retries exhausted'),
    );
  }

  static async create(opts: {
    config: JobsConfig;
    systemDb: SystemDb;
    logger: pino.Logger;
    instanceName: string;
    runLog?: JobRunLog;
    /** False on a web host: it queues jobs (run now, schedules) and never runs one; the worker does. */
    processes?: boolean;
  }): Promise<JobScheduler> {
    const log = opts.logger.child({ component: 'jobs' });
    const backend = await createJobsBackend(opts.config, { systemDb: opts.systemDb, logger: log });
    // Connect before Agenda exists: its constructor connects too, without handling failure.
    await backend.connect();
    watchErrors(backend.notificationChannel, log, 'job notification channel');
    const workerName = `${opts.instanceName}@${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const agenda = new Agenda({
      backend,
      name: workerName,
      processEvery: parseDuration(opts.config.process_every),
      defaultLockLifetime: parseDuration(opts.config.default_lock_lifetime),
      maxConcurrency: opts.config.max_concurrency,
      defaultConcurrency: 1,
      removeOnComplete: opts.config.remove_on_complete,
    });
    await agenda.ready;
    const scheduler = new JobScheduler(agenda, backend, opts.config, log, workerName);
    scheduler.runLog = opts.runLog;
    scheduler.processes = opts.processes ?? true;
    return scheduler;
  }

  /** Defines `<pluginId>:<job>`; validates its lock lifetime, concurrency and schedule at once. */
  define(fullName: string, handler: JobHandler, options: ScheduledJobOptions): void {
    if (this.stopping) throw new Error(`job scheduler is stopped; cannot define ${fullName}`);
    const { lockLifetime, retryDelay, interval } = checkJobOptions(this.agenda, fullName, options);
    const retry = options.retry;
    const def: Definition = { name: fullName, handler, options, enabled: options.enabled ?? true, interval };
    this.definitions.set(fullName, def);
    if (!def.enabled) return; // never handed to Agenda: this instance does not run it

    this.agenda.define(fullName, (job: Job) => this.run(def, job, lockLifetime), {
      concurrency: options.concurrency,
      lockLimit: options.concurrency,
      lockLifetime,
      backoff: retry ? backoffStrategies.exponential({ delay: retryDelay, maxRetries: retry.attempts }) : undefined,
    });
    if (this.started && def.interval) {
      this.every(fullName, def.interval).catch((err: unknown) => this.log.error({ err, job: fullName }, 'cannot schedule job'));
    }
  }

  /**
   * Keeps `fullName` running on `schedule` (cron, human interval like `15 minutes`, or a
   * duration like `30m`). Without `uniqueKey` there is one such job per name. With it
   * (fields of `data`, e.g. `{ source: 'crm' }`) each distinct key is its own recurring job.
   * Calling it again updates schedule and data without re-triggering a pending run.
   */
  async every(fullName: string, schedule: string, data: Record<string, unknown> = {}, uniqueKey?: Record<string, unknown>): Promise<void> {
    const def = this.definition(fullName);
    if (!def.enabled) {
      this.log.info({ job: fullName }, 'job is disabled; not scheduling it');
      return;
    }
    const interval = checkSchedule(this.agenda, fullName, schedule);
    if (!uniqueKey) {
      await this.recurring.everySingle(fullName, interval, data);
      return;
    }
    await this.recurring.everyUnique(def.name, interval, data, uniqueKey);
  }

  /** Throws an InputError naming the problem when `schedule` is not a cron, interval or duration. */
  validateSchedule(fullName: string, schedule: string): void {
    checkSchedule(this.agenda, fullName, schedule);
  }

  /** The data of every recurring run of `fullName` scheduled with a unique key. */
  recurringSchedules(fullName: string): Promise<Record<string, unknown>[]> {
    return this.recurring.uniqueSchedules(this.definition(fullName).name);
  }

  /** Stops the recurring run of `fullName` scheduled with this unique key. */
  cancelEvery(fullName: string, uniqueKey: Record<string, unknown>): Promise<number> {
    return this.recurring.cancelUnique(this.definition(fullName).name, uniqueKey);
  }

  /** Queues one run now and returns the stored run's id; resolves once it is stored, not when it has run. */
  async now(fullName: string, data: Record<string, unknown> = {}): Promise<string> {
    const def = this.definition(fullName);
    if (!def.enabled) throw new JobDisabledError(`job ${fullName} is disabled in this instance's config`);
    const job = await this.agenda.now(fullName, data);
    return String(job.attrs._id);
  }

  /** Every defined job with its configured schedule, in definition order. */
  defined(): { name: string; schedule: string | undefined; enabled: boolean }[] {
    return [...this.definitions.values()].map((d) => ({ name: d.name, schedule: d.options.schedule, enabled: d.enabled }));
  }

  /** Applies the configured schedules and enabled flags, then starts polling. Idempotent. */
  start(): Promise<void> {
    if (this.stopping) return Promise.reject(new Error('a stopped job scheduler cannot be started again; create a new one'));
    this.starting ??= (async () => {
      if (!this.processes) {
        this.log.info({ backend: this.backend.kind, worker: this.workerName }, 'job scheduler queues only: the worker runs the jobs');
        return;
      }
      await this.applyDefinitions();
      await this.agenda.start();
      this.started = true;
      this.log.info({ backend: this.backend.kind, worker: this.workerName, jobs: [...this.definitions.keys()] }, 'job scheduler started');
    })().catch((err: unknown) => {
      this.starting = undefined; // a failed start (backend down) may be tried again
      throw err;
    });
    return this.starting;
  }

  /**
   * Stops polling, aborts the signals of running jobs and gives them `stop_timeout` to
   * finish, then releases every lock this instance still holds so no job waits out its
   * lock lifetime after a restart. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= shutdown({
      agenda: this.agenda,
      backend: this.backend,
      config: this.config,
      log: this.log,
      workerName: this.workerName,
      starting: this.starting,
      running: this.running,
    });
    return this.stopping;
  }

  /** Stored jobs with their computed state, for status pages and the CLI. */
  async list(name?: string): Promise<JobSummary[]> {
    const { jobs } = await this.agenda.queryJobs(name ? { name } : {});
    return jobs.map((j) => ({
      id: String(j._id),
      name: j.name,
      state: j.state,
      data: handlerData(j.data),
      schedule: j.repeatInterval === undefined ? undefined : String(j.repeatInterval),
      nextRunAt: j.nextRunAt ?? undefined,
      lastRunAt: j.lastRunAt,
      lastFinishedAt: j.lastFinishedAt,
      failCount: j.failCount ?? 0,
      failReason: j.failReason,
      disabled: j.disabled === true,
    }));
  }

  health(): SchedulerHealth {
    if (this.stopping) return { status: 'unhealthy', detail: 'job scheduler stopped' };
    if (!this.processes && this.starting) return { status: 'healthy', detail: 'queues jobs; the worker runs them' };
    if (!this.started) return { status: 'unhealthy', detail: 'job scheduler not started' };
    const channel = this.backend.notificationChannel?.state;
    if (channel && channel !== 'connected') return { status: 'degraded', detail: `job notifications ${channel}; polling every ${this.config.process_every}` };
    if (this.lastError && Date.now() - this.lastError.at < ERROR_MEMORY_MS) {
      return { status: 'degraded', detail: `job scheduler error ${Math.round((Date.now() - this.lastError.at) / 1000)}s ago: ${this.lastError.message}` };
    }
    return { status: 'healthy', detail: `${this.backend.kind}, ${this.running.size} running` };
  }

  private definition(fullName: string): Definition {
    const def = this.definitions.get(fullName);
    if (!def) throw new JobUnknownError(`unknown job ${fullName}; it must be defined before it is scheduled`);
    return def;
  }

  /** The handler Agenda runs: signal, lock-lifetime deadline, logs. */
  private async run(def: Definition, job: Job, lockLifetime: number): Promise<void> {
    const jobId = String(job.attrs._id);
    if (this.stopping) {
      // Locked before stop() and started by a timer while draining: the handler never
      // runs, and the run is due again at once (here after a restart, or elsewhere).
      job.attrs.nextRunAt = new Date();
      this.log.info({ job: def.name, jobId }, 'job not started: the scheduler is stopping');
      return;
    }
    const controller = new AbortController();
    const entry: Running = { job, controller };
    const started = Date.now();
    const deadline = setTimeout(() => controller.abort(new Error(`job ${def.name} exceeded its lock lifetime of ${def.options.lockLifetime}`)), lockLifetime);
    this.running.add(entry);
    try {
      this.log.info({ job: def.name, jobId }, 'job started');
      const outcome = await def.handler({ name: def.name, data: handlerData(job.attrs.data), signal: controller.signal });
      this.log.info({ job: def.name, jobId, durationMs: Date.now() - started }, 'job finished');
      this.recordRun(def.name, jobId, started, null, outcome ?? null);
    } catch (err) {
      const interrupted = this.stopping !== undefined && controller.signal.aborted;
      // A one-off run cut short by shutdown runs again (here after a restart, or on another
      // instance), as Agenda re-runs a job whose worker died; a recurring job just waits for
      // its next occurrence.
      if (interrupted && !job.attrs.repeatInterval && !job.attrs.repeatAt) job.attrs.nextRunAt = new Date();
      this.log.error({ err, job: def.name, jobId, durationMs: Date.now() - started, failCount: (job.attrs.failCount ?? 0) + 1, interrupted }, 'job failed');
      // Agenda stores and retries an Error; anything else would lose the reason or the retry.
      const error = asError(err);
      this.recordRun(def.name, jobId, started, error.message);
      throw error;
    } finally {
      clearTimeout(deadline);
      this.running.delete(entry);
    }
  }

  /** Best effort: a run history write that fails is logged, never fails the run. */
  private recordRun(name: string, jobId: string, started: number, error: string | null, outcome: JobOutcome | null = null): void {
    if (!this.runLog) return;
    const finished = Date.now();
    const run = {
      job_name: name,
      job_id: jobId,
      started_at: new Date(started),
      finished_at: new Date(finished),
      status: error === null ? ('completed' as const) : ('failed' as const),
      error,
      outcome,
      duration_ms: finished - started,
      worker: this.workerName,
    };
    this.runLog.record(run).catch((err: unknown) => this.log.warn({ err, job: name }, 'recording the job run failed'));
  }

  /** Brings stored jobs in line with the definitions: enabled flags, configured schedules. */
  private async applyDefinitions(): Promise<void> {
    for (const def of this.definitions.values()) {
      if (!def.enabled) {
        await this.agenda.disable({ name: def.name });
        continue;
      }
      await this.agenda.enable({ name: def.name });
      if (def.interval) await this.every(def.name, def.interval);
      else await this.recurring.dropStaleSchedules(def.name);
    }
  }
}
