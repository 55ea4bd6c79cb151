export interface JobContext<D = Record<string, unknown>> {
  readonly name: string;
  readonly data: D;
  /** Aborted when the host stops or the job exceeds its lock lifetime. */
  readonly signal: AbortSignal;
}

export interface JobOptions {
  /** Cron expression (`*\/15 * * * *`) or human interval (`15 minutes`); no schedule = run on demand only. */
  schedule?: string;
  /** How long a running job holds its lock before another worker may take it over, e.g. `30m`. */
  lockLifetime: string;
  /** How many runs of this job may execute at once on one host. */
  concurrency: number;
}

/**
 * What a run reports besides success: counts and figures (notes read, items created, LLM calls
 * and tokens), kept with the run in the jobs admin API and on `/admin/jobs`. JSON values only.
 */
export type JobOutcome = Record<string, unknown>;

// `void`, not `undefined`: an `async` handler that returns nothing must still fit.
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type
export type JobHandler<D = Record<string, unknown>> = (ctx: JobContext<D>) => Promise<void | JobOutcome>;

/** Scoped to one plugin: `define('sync', …)` creates the job `<pluginId>:sync`. */
export interface JobRegistry {
  define<D = Record<string, unknown>>(name: string, handler: JobHandler<D>, options: JobOptions): void;
  /** Queues one run now; resolves when it is queued, not when it finishes. */
  now(name: string, data?: Record<string, unknown>): Promise<void>;
}
