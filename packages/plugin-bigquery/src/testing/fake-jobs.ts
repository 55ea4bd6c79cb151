// Query jobs: jobs.insert (configuration.query, dry runs included), jobs.query, jobs.get,
// jobs.getQueryResults and jobs.cancel (https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs).
// A query that cannot run fails the way BigQuery fails it: jobs.query and dry runs answer the
// HTTP error; a real jobs.insert creates the job, DONE with `status.errorResult` (which the Node
// client raises as an ApiError), and getQueryResults on it answers the error.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Catalog } from './fake-catalog.js';
import { BigQueryError } from './fake-errors.js';
import { dryRunResource, isDone, jobReference, jobResource, resultsBody, type StoredJob, type TableRef } from './fake-job-shapes.js';
import type { QueryLogEntry } from './fake-model.js';
import type { QueryParameter } from './fake-operands.js';
import { intParam, pageStart } from './fake-paging.js';
import { analyse, execute, type QueryAnalysis } from './fake-query.js';
import { restField } from './fake-schema.js';
import { timestampFormat } from './fake-time.js';

/** How long jobs.query and getQueryResults wait for a job when `timeoutMs` is absent (BigQuery's default). */
const DEFAULT_WAIT_MS = 10_000;

const queryConfigSchema = z
  .object({
    query: z.string({ error: 'Required parameter is missing: query' }),
    useLegacySql: z.boolean().optional(),
    maximumBytesBilled: z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).optional(),
    defaultDataset: z.object({ projectId: z.string().optional(), datasetId: z.string() }).optional(),
    parameterMode: z.string().optional(),
    queryParameters: z.array(z.looseObject({})).optional(),
  })
  .loose();

const labelsSchema = z.record(z.string().regex(/^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u), z.string().regex(/^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u)).optional();

const insertSchema = z.looseObject({
  jobReference: z.object({ projectId: z.string().optional(), jobId: z.string().optional(), location: z.string().optional() }).optional(),
  configuration: z.looseObject({ query: z.unknown().optional(), dryRun: z.boolean().optional(), labels: labelsSchema }),
});

const queryRequestSchema = queryConfigSchema.extend({
  dryRun: z.boolean().optional(),
  labels: labelsSchema,
  location: z.string().optional(),
  maxResults: z.number().int().nonnegative().optional(),
  timeoutMs: z.number().int().nonnegative().optional(),
  requestId: z.string().optional(),
  formatOptions: z.object({ useInt64Timestamp: z.boolean().optional(), timestampOutputFormat: z.string().optional() }).optional(),
});

type QueryConfig = z.infer<typeof queryConfigSchema>;

export interface JobsEnv {
  catalog: Catalog;
  projectId: string;
  defaultLocation: string;
  baseUrl: string;
  userEmail: string;
  jobDelayMs: () => number;
  log: QueryLogEntry[];
}

export class Jobs {
  private readonly jobs = new Map<string, StoredJob>();
  private readonly requestIds = new Map<string, string>();

  constructor(private readonly env: JobsEnv) {}

  /** POST /projects/{p}/jobs */
  insert(projectId: string, rawBody: unknown): Record<string, unknown> {
    this.checkProject(projectId);
    const body = parse(insertSchema, rawBody);
    const configuration = body.configuration;
    if (configuration.query === undefined) {
      const kind = ['load', 'copy', 'extract'].find((k) => k in configuration);
      throw BigQueryError.invalid(
        kind ? `The fake does not support ${kind} jobs; it runs query jobs only` : 'Required parameter is missing: configuration.query',
      );
    }
    const config = parse(queryConfigSchema, configuration.query);
    const requested = body.jobReference?.location;
    const dryRun = configuration.dryRun === true;
    const entry: QueryLogEntry = {
      sql: config.query,
      via: 'jobs.insert',
      dryRun,
      ...(configuration.labels ? { labels: configuration.labels } : {}),
      ...maxBilled(config),
    };
    this.env.log.push(entry);
    if (dryRun) {
      const a = this.plan(projectId, config, requested, entry);
      return dryRunResource(projectId, requested ?? a.table.dataset.location, configuration, a.fields, [refOf(a)], a.bytesProcessed);
    }
    const jobId = body.jobReference?.jobId ?? `job_${randomBytes(18).toString('base64url')}`;
    if (!/^[A-Za-z0-9_-]{1,1024}$/.test(jobId))
      throw BigQueryError.invalid(
        `Invalid job ID "${jobId}". Job IDs must be alphanumeric (plus underscores and dashes) and must be at most 1024 characters long.`,
      );
    const existing = this.jobs.get(`${projectId}:${jobId}`);
    if (existing) throw new BigQueryError(409, 'duplicate', `Already Exists: Job ${projectId}:${existing.location}.${jobId}`);
    entry.jobId = jobId;
    const job = this.start(projectId, jobId, { ...configuration, jobType: 'QUERY' }, config, requested, entry);
    return jobResource(job, this.env.baseUrl);
  }

  /** POST /projects/{p}/queries */
  async query(projectId: string, rawBody: unknown): Promise<Record<string, unknown>> {
    this.checkProject(projectId);
    const req = parse(queryRequestSchema, rawBody);
    const reused = req.requestId ? this.jobs.get(`${projectId}:${this.requestIds.get(req.requestId)}`) : undefined;
    const entry: QueryLogEntry = {
      sql: req.query,
      via: 'jobs.query',
      dryRun: req.dryRun === true,
      ...(req.labels ? { labels: req.labels } : {}),
      ...maxBilled(req),
    };
    if (!reused) this.env.log.push(entry);
    if (req.dryRun) {
      const a = this.plan(projectId, req, req.location, entry);
      return {
        kind: 'bigquery#queryResponse',
        schema: { fields: a.fields.map(restField) },
        jobComplete: true,
        totalBytesProcessed: String(a.bytesProcessed),
        cacheHit: false,
      };
    }
    let job = reused;
    if (!job) {
      // jobs.query refuses at once what a jobs.insert would create as a failed job.
      const a = this.plan(projectId, req, req.location, entry);
      this.checkBilling(req, a, entry);
      const jobId = `job_${randomBytes(18).toString('base64url')}`;
      entry.jobId = jobId;
      const configuration = {
        query: {
          query: req.query,
          useLegacySql: false,
          ...(req.maximumBytesBilled !== undefined ? { maximumBytesBilled: String(req.maximumBytesBilled) } : {}),
        },
        ...(req.labels ? { labels: req.labels } : {}),
        jobType: 'QUERY',
      };
      job = this.store(projectId, jobId, configuration, a, req.location);
      if (req.requestId) this.requestIds.set(req.requestId, jobId);
    }
    await waitFor(job, req.timeoutMs ?? DEFAULT_WAIT_MS);
    if (!isDone(job)) return { kind: 'bigquery#queryResponse', jobReference: jobReference(job), jobComplete: false };
    const ts = timestampFormat(req.formatOptions?.useInt64Timestamp, req.formatOptions?.timestampOutputFormat);
    return { kind: 'bigquery#queryResponse', ...resultsBody(job, job.result!, 0, req.maxResults, ts), totalBytesBilled: String(job.bytesBilled) };
  }

  /** GET /projects/{p}/jobs/{id} */
  get(projectId: string, jobId: string, query: Record<string, unknown>): Record<string, unknown> {
    return jobResource(this.find(projectId, jobId, query.location), this.env.baseUrl);
  }

  /** GET /projects/{p}/queries/{id} */
  async results(projectId: string, jobId: string, query: Record<string, unknown>): Promise<Record<string, unknown>> {
    const job = this.find(projectId, jobId, query.location);
    await waitFor(job, intParam(query.timeoutMs, 'timeoutMs') ?? DEFAULT_WAIT_MS);
    if (!isDone(job)) return { kind: 'bigquery#getQueryResultsResponse', etag: '', jobReference: jobReference(job), jobComplete: false };
    if (job.error) throw job.error;
    const start = pageStart(`job:${projectId}:${jobId}`, query);
    const ts = timestampFormat(query['formatOptions.useInt64Timestamp'], query['formatOptions.timestampOutputFormat']);
    const body = resultsBody(job, job.result!, start, intParam(query.maxResults, 'maxResults'), ts);
    return { kind: 'bigquery#getQueryResultsResponse', etag: String(job.creationTime), ...body };
  }

  /** POST /projects/{p}/jobs/{id}/cancel: a running job ends as stopped; a finished one stays as it is. */
  cancel(projectId: string, jobId: string, query: Record<string, unknown>): Record<string, unknown> {
    const job = this.find(projectId, jobId, query.location);
    if (!isDone(job)) {
      job.error = new BigQueryError(400, 'stopped', 'Job execution was cancelled: User requested cancellation');
      job.result = undefined;
      job.doneAt = Date.now();
    }
    return { kind: 'bigquery#jobCancelResponse', job: jobResource(job, this.env.baseUrl) };
  }

  /** A jobs.insert job: created even when the query cannot run, failing with the reason. */
  private start(
    projectId: string,
    jobId: string,
    configuration: Record<string, unknown>,
    config: QueryConfig,
    requested: string | undefined,
    entry: QueryLogEntry,
  ): StoredJob {
    try {
      const a = this.plan(projectId, config, requested, entry);
      this.checkBilling(config, a, entry);
      return this.store(projectId, jobId, configuration, a, requested);
    } catch (e) {
      if (!(e instanceof BigQueryError)) throw e;
      const job = this.blank(projectId, jobId, configuration, requested ?? this.env.defaultLocation);
      job.error = e;
      return job;
    }
  }

  private plan(projectId: string, config: QueryConfig, location: string | undefined, entry: QueryLogEntry): QueryAnalysis {
    try {
      if (config.useLegacySql !== false) {
        throw BigQueryError.invalidQuery('The fake does not support legacy SQL: set useLegacySql to false (the REST API defaults to legacy SQL)');
      }
      const params = { mode: config.parameterMode, list: (config.queryParameters ?? []) as QueryParameter[] };
      const a = analyse(config.query, { catalog: this.env.catalog, jobProjectId: projectId, defaultDataset: config.defaultDataset, location, params });
      entry.totalBytesProcessed = a.bytesProcessed;
      return a;
    } catch (e) {
      if (e instanceof BigQueryError) entry.error = e.reason;
      throw e;
    }
  }

  /** maximumBytesBilled: over it, BigQuery refuses the query before reading anything. */
  private checkBilling(config: QueryConfig, a: QueryAnalysis, entry: QueryLogEntry): void {
    const max = config.maximumBytesBilled === undefined ? undefined : Number(config.maximumBytesBilled);
    if (max !== undefined && max > 0 && a.bytesBilled > max) {
      entry.error = 'bytesBilledLimitExceeded';
      throw new BigQueryError(400, 'bytesBilledLimitExceeded', `Query exceeded limit for bytes billed: ${max}. ${a.bytesBilled} or higher required.`);
    }
    entry.totalBytesBilled = a.bytesBilled;
  }

  private store(projectId: string, jobId: string, configuration: Record<string, unknown>, a: QueryAnalysis, requested: string | undefined): StoredJob {
    const job = this.blank(projectId, jobId, configuration, requested ?? a.table.dataset.location);
    Object.assign(job, { fields: a.fields, referencedTables: [refOf(a)], bytesProcessed: a.bytesProcessed, bytesBilled: a.bytesBilled, result: execute(a) });
    return job;
  }

  private blank(projectId: string, jobId: string, configuration: Record<string, unknown>, location: string): StoredJob {
    const now = Date.now();
    const job: StoredJob = {
      projectId,
      jobId,
      location,
      configuration,
      userEmail: this.env.userEmail,
      creationTime: now,
      doneAt: now + this.env.jobDelayMs(),
      fields: [],
      referencedTables: [],
      bytesProcessed: 0,
      bytesBilled: 0,
    };
    this.jobs.set(`${projectId}:${jobId}`, job);
    return job;
  }

  /** A job by id; a wrong `location`, or none for a job outside the US and EU multi-regions, does not find it. */
  private find(projectId: string, jobId: string, location: unknown): StoredJob {
    const job = this.jobs.get(`${projectId}:${jobId}`);
    const where = typeof location === 'string' && location ? location : undefined;
    const multiRegion = job && ['US', 'EU'].includes(job.location.toUpperCase());
    if (!job || (where ? where.toUpperCase() !== job.location.toUpperCase() : !multiRegion)) {
      throw BigQueryError.notFound(`Not found: Job ${projectId}:${where ?? job?.location ?? 'US'}.${jobId}`);
    }
    return job;
  }

  private checkProject(projectId: string): void {
    if (projectId !== this.env.projectId) {
      throw new BigQueryError(
        403,
        'accessDenied',
        `Access Denied: Project ${projectId}: User does not have bigquery.jobs.create permission in project ${projectId}.`,
      );
    }
  }
}

function refOf(a: QueryAnalysis): TableRef {
  return { projectId: a.table.projectId, datasetId: a.table.datasetId, tableId: a.table.tableId };
}

function maxBilled(config: { maximumBytesBilled?: string | number }): { maximumBytesBilled?: string } {
  return config.maximumBytesBilled === undefined ? {} : { maximumBytesBilled: String(config.maximumBytesBilled) };
}

/** Waits until the job is done or the timeout passes, whichever is first. */
async function waitFor(job: StoredJob, timeoutMs: number): Promise<void> {
  const wait = Math.min(timeoutMs, job.doneAt - Date.now());
  if (wait > 0) await new Promise((r) => setTimeout(r, wait).unref());
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw BigQueryError.invalid(issue.message.startsWith('Required parameter') ? issue.message : `Invalid value at '${issue.path.join('.')}': ${issue.message}`);
}
