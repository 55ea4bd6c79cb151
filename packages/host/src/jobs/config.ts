import { z } from 'zod';
import { zDuration } from '@aida/core';

/** Engines Agenda can keep its jobs in. `duckdb` is the embedded default (state/system.duckdb). */
export const JOB_BACKENDS = ['duckdb', 'postgres', 'redis', 'mongo'] as const;
export type JobBackendKind = (typeof JOB_BACKENDS)[number];

/** Durations in milliseconds; a zero interval or lifetime would make Agenda spin or never lock. */
const duration = zDuration({ min: 1 });

/**
 * Postgres puts this name into table, index, trigger and function names unquoted as well
 * as quoted, so only lower-case identifiers are safe; 40 characters leaves room for the
 * suffixes it appends within Postgres's 63-character limit.
 */
const sqlName = z.string().regex(/^[a-z_][a-z0-9_]{0,39}$/, 'must be a lower-case SQL identifier (a-z, 0-9, _; at most 40 characters)');

/** The `jobs:` section of instance.yaml. */
export const jobsConfigSchema = z
  .object({
    backend: z.enum(JOB_BACKENDS).default('duckdb'),
    /** Connection string of the shared engine; not used by `duckdb`. */
    url: z.string().min(1).optional(),
    /** How often each instance polls for due jobs. */
    process_every: duration.prefault('5s'),
    /** Lock lifetime of jobs that do not state their own. */
    default_lock_lifetime: duration.prefault('10m'),
    /** At most this many jobs run at once on one instance, whatever their names. */
    max_concurrency: z.number().int().positive().default(20),
    /** On stop, how long running jobs get to finish after their signal is aborted. */
    stop_timeout: duration.prefault('10s'),
    /** Delete one-off jobs once they succeed, so the jobs table does not grow with every "run now". */
    remove_on_complete: z.boolean().default(true),
    /** postgres: the jobs table (`<table>_logs` holds Agenda's event log). */
    table: sqlName.default('aida_jobs'),
    /** mongo: the jobs collection. */
    collection: z.string().min(1).default('aida_jobs'),
    /** redis: prefix of every key (several instances groups can share one Redis by prefix). */
    key_prefix: z.string().min(1).default('aida:jobs:'),
    /**
     * postgres/redis: push new jobs to the other instances (LISTEN/NOTIFY, pub/sub) instead
     * of waiting for their next poll.
     */
    notifications: z.boolean().default(true),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.backend !== 'duckdb' && !cfg.url) {
      const example = { postgres: 'postgresql://user:password@host:5432/db', redis: 'redis://host:6379/0', mongo: 'mongodb://host:27017/aida' }[cfg.backend];
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: `jobs.backend '${cfg.backend}' needs jobs.url, the connection string of the shared ${cfg.backend} server (e.g. ${example})`,
      });
    }
  });

export type JobsConfig = z.output<typeof jobsConfigSchema>;
export type JobsConfigInput = z.input<typeof jobsConfigSchema>;

/**
 * The jobs config a host runs with. With the system tables on PostgreSQL the embedded job
 * table would be there too, so `duckdb` (the default) means Agenda's PostgreSQL backend on the
 * state's server and schema: every host of the instance then shares one job queue.
 */
export function jobsConfigFor(jobs: JobsConfig, state: { backend: string; schema: string }, stateUrl: string | undefined): JobsConfig {
  if (jobs.backend !== 'duckdb' || state.backend !== 'postgres' || !stateUrl) return jobs;
  const u = new URL(stateUrl);
  u.searchParams.set('options', `-c search_path=${state.schema}`);
  return { ...jobs, backend: 'postgres', url: u.toString() };
}
