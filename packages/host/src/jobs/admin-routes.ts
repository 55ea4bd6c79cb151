import { z } from 'zod';
import { param, query, type RouteDefinition } from '@aida/core';
import { JobNotFoundError } from '../errors.js';
import { pagedSchema, pageFrom, pageQuery, type Page, type Paged } from '../http/paging.js';
import type { JobScheduler } from './scheduler.js';
import type { SystemDbJobRunLog } from './run-log.js';

const iso = z.string().nullable().meta({ description: 'ISO date-time, or null' });

const jobSchema = z.object({
  name: z.string(),
  schedule: z.string().nullable(),
  enabled: z.boolean(),
  last_run_at: iso,
  last_finished_at: iso,
  last_status: z.enum(['completed', 'failed']).nullable(),
  last_error: z.string().nullable(),
  last_outcome: z.record(z.string(), z.unknown()).nullable().meta({ description: 'What the run reported (counts, LLM calls and tokens…), or null' }),
  next_run_at: iso,
  running: z.boolean(),
});

const runSchema = z.object({
  id: z.string(),
  job_id: z.string(),
  started_at: z.string(),
  finished_at: z.string(),
  status: z.enum(['completed', 'failed']),
  error: z.string().nullable(),
  outcome: z.record(z.string(), z.unknown()).nullable().meta({ description: 'What the run reported (counts, LLM calls and tokens…), or null' }),
  duration_ms: z.number(),
  worker: z.string(),
});

const nameParams = z.object({ name: z.string().meta({ description: 'The job, `<pluginId>:<job>`' }) });
const runsQuery = pageQuery({ defaultLimit: 20, maxLimit: 200 });

const isoOf = (d: Date | undefined | null) => (d ? d.toISOString() : null);

/** Where the jobs admin API and the `/admin/jobs` page read jobs and runs. */
export interface JobsSource {
  jobs(): JobScheduler | undefined;
  runs: SystemDbJobRunLog;
}

export type JobStatus = z.output<typeof jobSchema>;
export type JobRunRow = z.output<typeof runSchema>;

/** The running scheduler, or 404 (before start, after stop). */
function scheduler(source: JobsSource): JobScheduler {
  const jobs = source.jobs();
  if (!jobs) throw new JobNotFoundError('The job scheduler is not running');
  return jobs;
}

/** Where a caller finds the job names: the API's list, or the page's for a browser. */
const LISTED_AT = 'GET /api/admin/jobs lists them';

function known(jobs: JobScheduler, name: string, listedAt: string): void {
  if (!jobs.defined().some((d) => d.name === name)) throw new JobNotFoundError(`No job '${name}'; ${listedAt}`);
}

/**
 * Every defined job with its schedule, last run and outcome, next run and whether it runs now:
 * what `GET /api/admin/jobs` answers and `/admin/jobs` shows.
 */
export async function jobStatuses(source: JobsSource): Promise<JobStatus[]> {
  const jobs = scheduler(source);
  const [stored, latest] = await Promise.all([jobs.list(), source.runs.latest()]);
  return jobs.defined().map((d) => {
    const mine = stored.filter((s) => s.name === d.name);
    const last = latest.get(d.name);
    const next = mine.filter((s) => !s.disabled && s.nextRunAt && s.state !== 'running').map((s) => s.nextRunAt!.getTime());
    return {
      name: d.name,
      schedule: d.schedule ?? mine.find((s) => s.schedule)?.schedule ?? null,
      enabled: d.enabled,
      last_run_at: isoOf(last?.started_at),
      last_finished_at: isoOf(last?.finished_at),
      last_status: last?.status ?? null,
      last_error: last?.error ?? null,
      last_outcome: last?.outcome ?? null,
      next_run_at: next.length ? new Date(Math.min(...next)).toISOString() : null,
      running: mine.some((s) => s.state === 'running'),
    };
  });
}

/** Queues one run of `name` now and returns its id; 404 for an unknown job, 409 for a disabled one. */
export async function queueJobRun(source: JobsSource, name: string, listedAt = LISTED_AT): Promise<string> {
  const jobs = scheduler(source);
  known(jobs, name, listedAt);
  return jobs.now(name);
}

/** One page of a job's runs, newest first; 404 for an unknown job. */
export async function jobRunsPage(source: JobsSource, name: string, page: Page, listedAt = LISTED_AT): Promise<Paged<'runs', JobRunRow>> {
  known(scheduler(source), name, listedAt);
  const { items, total } = await source.runs.recent(name, page);
  const runs = items.map(({ job_name: _name, ...r }) => ({ ...r, started_at: r.started_at.toISOString(), finished_at: r.finished_at.toISOString() }));
  return pageFrom('runs', runs, total, page);
}

/**
 * The jobs admin API: every defined job with its schedule, last outcome and next run; a run on
 * demand; and each job's recent runs. Admin only (and audited, like every API call).
 */
export function jobAdminRoutes(source: JobsSource): RouteDefinition[] {
  return [
    {
      method: 'GET',
      path: '/api/admin/jobs',
      access: { role: 'admin' },
      summary: 'Every job with its schedule, last run and outcome, and next run',
      output: { body: z.object({ jobs: z.array(jobSchema) }) },
      async handler(ctx) {
        ctx.body = { jobs: await jobStatuses(source) };
      },
    },
    {
      method: 'POST',
      path: '/api/admin/jobs/:name/run',
      access: { role: 'admin' },
      summary: 'Queues one run of a job now',
      input: { params: nameParams },
      output: { status: 202, body: z.object({ name: z.string(), run_id: z.string() }), description: 'Queued; GET …/runs shows its outcome' },
      async handler(ctx) {
        const { name } = param(ctx, nameParams);
        const runId = await queueJobRun(source, name);
        ctx.status = 202;
        ctx.body = { name, run_id: runId };
      },
    },
    {
      method: 'GET',
      path: '/api/admin/jobs/:name/runs',
      access: { role: 'admin' },
      summary: "A job's recent runs, newest first, with status, error and duration",
      input: { params: nameParams, query: runsQuery },
      output: { body: pagedSchema('runs', runSchema) },
      async handler(ctx) {
        const { name } = param(ctx, nameParams);
        ctx.body = await jobRunsPage(source, name, query(ctx, runsQuery));
      },
    },
  ];
}
