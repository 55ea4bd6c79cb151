// BigQuery through Google's official Node client (@google-cloud/bigquery): its transport,
// authentication and URL building, with its own retries off so the connector's one policy
// (retry.ts) decides. The REST calls the connector makes are here, each answer checked against
// api-types.ts: listing a dataset's tables, reading a table, dry runs, query jobs and their
// result pages. No host imports.
import { randomUUID } from 'node:crypto';
import { BigQuery } from '@google-cloud/bigquery';
import { formatDuration, redactText } from '@aida/core';
import type { z } from 'zod';
import { translateApiError, translateJobError, type GoogleErrorItem } from './api-errors.js';
import {
  jobSchema,
  queryResultsSchema,
  tableListSchema,
  tableResourceSchema,
  type Job,
  type JobReference,
  type QueryResults,
  type TableReference,
  type TableResource,
} from './api-types.js';
import { asAuthClient, createAuth, type Auth } from './auth.js';
import type { Credentials, TableRef } from './config.js';
import { BigQueryError, BigQueryJobFailedError, BigQueryMalformedResponseError } from './errors.js';
import { splitResultsPage, type PageText } from './page-text.js';
import { untilAborted, withRetries, type Logger, type RetryPolicy } from './retry.js';

export const USER_AGENT = 'aida-plugin-bigquery/0.1';
/** Longest a single getQueryResults call waits for a running job (BigQuery's own long poll). */
const POLL_MS = 10_000;

export interface BigQueryApiOptions {
  /** Where jobs run and are billed. */
  billingProject: string;
  location?: string;
  apiEndpoint?: string;
  credentials: Credentials;
  tokenUrl?: string;
  retries: RetryPolicy;
  requestTimeoutMs: number;
  jobTimeoutMs: number;
  logger?: Logger;
}

export interface CallContext {
  signal: AbortSignal;
  logger?: Logger;
}

/** A named query parameter (`@name` in the SQL), as BigQuery's REST API carries it. */
export interface QueryParameter {
  name: string;
  parameterType: { type: string };
  parameterValue: { value: string };
}

export interface PlanOptions extends CallContext {
  /** BigQuery job labels (cost attribution). */
  labels?: Record<string, string>;
  parameters?: QueryParameter[];
}

export interface QueryOptions extends PlanOptions {
  /** The job fails rather than bill more (maximumBytesBilled). */
  maximumBytesBilled?: number;
  /** Rows of the first result page. */
  maxResults: number;
}

/** Which page of a job's results: from a row (`startIndex`) or along the `pageToken` chain. */
export interface PageRequest {
  maxResults: number;
  pageToken?: string;
  startIndex?: number;
  /** How long BigQuery may wait for the job to finish first. */
  timeoutMs?: number;
}

/** A finished query job and the first page of its results. */
export interface FinishedQuery {
  job: JobReference;
  first: QueryResults;
}

type RequestOptions = Parameters<BigQuery['request']>[0];

/** The query part of a job's configuration: GoogleSQL, with its named parameters. */
function queryConfig(sql: string, o: PlanOptions): Record<string, unknown> {
  return { query: sql, useLegacySql: false, ...(o.parameters?.length ? { parameterMode: 'NAMED', queryParameters: o.parameters } : {}) };
}

export class BigQueryApi {
  /** The official client: jobs go to the billing project. */
  readonly bigquery: BigQuery;
  private readonly auth: Auth;

  constructor(private readonly o: BigQueryApiOptions) {
    this.auth = createAuth(o.credentials, { tokenUrl: o.tokenUrl, requestTimeoutMs: o.requestTimeoutMs });
    this.bigquery = new BigQuery({
      projectId: o.billingProject,
      location: o.location,
      ...(o.apiEndpoint ? { apiEndpoint: o.apiEndpoint } : {}),
      ...(this.auth.client ? { authClient: asAuthClient(this.auth.client) } : {}),
      // One retry policy: ours (retryOptions.autoRetry is the non-deprecated autoRetry: false).
      retryOptions: { autoRetry: false, maxRetries: 0 },
      userAgent: USER_AGENT,
    });
  }

  /** How the client signs in, without any secret (health, logs). */
  describeAuth(): string {
    return this.auth.describe();
  }

  /** Masks the credentials (key, tokens issued so far) in a text quoted from anywhere. */
  redact(text: string): string {
    return redactText(text, this.auth.secrets());
  }

  async listTables(projectId: string, datasetId: string, ctx: CallContext): Promise<TableReference[]> {
    const refs: TableReference[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.call(
        `tables.list of ${projectId}.${datasetId}`,
        { uri: `/datasets/${encodeURIComponent(datasetId)}/tables`, projectId, qs: { maxResults: 1000, pageToken } },
        tableListSchema,
        ctx,
      );
      refs.push(...page.tables.map((t) => t.tableReference));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return refs;
  }

  getTable(ref: TableRef, ctx: CallContext): Promise<TableResource> {
    return this.call(
      `tables.get of ${ref.projectId}.${ref.datasetId}.${ref.tableId}`,
      { uri: `/datasets/${encodeURIComponent(ref.datasetId)}/tables/${encodeURIComponent(ref.tableId)}`, projectId: ref.projectId },
      tableResourceSchema,
      ctx,
    );
  }

  /** Plans `sql` without running it: what it would scan and which tables it reads. Nothing is billed. */
  dryRun(sql: string, o: PlanOptions): Promise<Job> {
    const query = { ...queryConfig(sql, o), useQueryCache: false };
    const body = { jobReference: this.jobReference(), configuration: { dryRun: true, labels: o.labels, query } };
    return this.call('jobs.insert (dry run)', { method: 'POST', uri: '/jobs', json: body }, jobSchema, o);
  }

  /**
   * Runs `sql` as a query job and waits until it is done (at most `timeouts.job`; an abort
   * cancels it), returning the first page of results. The job id is ours, so a retried insert
   * that BigQuery had already accepted finds the same job instead of running it twice.
   */
  async query(sql: string, o: QueryOptions): Promise<FinishedQuery> {
    const jobId = `aida_${randomUUID().replace(/-/g, '')}`;
    const query = {
      ...queryConfig(sql, o),
      ...(o.maximumBytesBilled !== undefined ? { maximumBytesBilled: String(Math.floor(o.maximumBytesBilled)) } : {}),
    };
    const body = { jobReference: this.jobReference(jobId), configuration: { labels: o.labels, query } };
    const inserted = await this.call('jobs.insert', { method: 'POST', uri: '/jobs', json: body }, jobSchema, o).catch(async (e: unknown) => {
      if (e instanceof BigQueryError && e.httpStatus === 409) return this.getJob({ projectId: this.o.billingProject, jobId, location: this.o.location }, o);
      throw e;
    });
    const job: JobReference = { projectId: this.o.billingProject, jobId, location: inserted.jobReference?.location ?? this.o.location };
    const failed = inserted.status.errorResult;
    if (failed) throw translateJobError(`query job ${jobId}`, failed, (t) => this.redact(t));

    const deadline = Date.now() + this.o.jobTimeoutMs;
    try {
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new BigQueryJobFailedError(`query job ${jobId} did not finish within ${formatDuration(this.o.jobTimeoutMs)} (timeouts.job); it was cancelled`);
        }
        const page = await this.results(job, { maxResults: o.maxResults, timeoutMs: Math.min(POLL_MS, left) }, o);
        if (page.jobComplete) return { job, first: page };
      }
    } catch (e) {
      // Whatever stopped the wait, the job must not go on billing.
      void this.cancel(job);
      throw e;
    }
  }

  /** One page of a finished job's results (`startIndex` or `pageToken`), its rows parsed. */
  results(job: JobReference, page: PageRequest, ctx: CallContext): Promise<QueryResults> {
    return this.call(`jobs.getQueryResults of ${job.jobId}`, this.resultsRequest(job, page), queryResultsSchema, ctx, (what, req) =>
      this.requestStreamed(what, req, (text) => JSON.parse(text) as unknown),
    );
  }

  /**
   * One page of results for staging: its rows as NDJSON text, never parsed into objects (see
   * page-text.ts), and the answer's other fields.
   */
  async resultsText(job: JobReference, page: PageRequest, ctx: CallContext): Promise<{ meta: QueryResults; ndjson: string; rows: number }> {
    let split: PageText | undefined;
    const meta = await this.call(`jobs.getQueryResults of ${job.jobId}`, this.resultsRequest(job, page), queryResultsSchema, ctx, (what, req) =>
      this.requestStreamed(what, req, (text) => {
        split = splitResultsPage(text);
        return split.meta;
      }),
    );
    return { meta, ndjson: split!.ndjson, rows: split!.rows };
  }

  private resultsRequest(job: JobReference, page: PageRequest): RequestOptions {
    const qs = {
      location: job.location,
      maxResults: page.maxResults,
      pageToken: page.pageToken,
      startIndex: page.startIndex,
      timeoutMs: page.timeoutMs ?? POLL_MS,
      // Timestamps as int64 microseconds: exact, unlike the default float seconds.
      'formatOptions.useInt64Timestamp': true,
      prettyPrint: false,
    };
    return { uri: `/queries/${encodeURIComponent(job.jobId)}`, projectId: job.projectId, qs };
  }

  getJob(job: JobReference, ctx: CallContext): Promise<Job> {
    return this.call(
      `jobs.get of ${job.jobId}`,
      { uri: `/jobs/${encodeURIComponent(job.jobId)}`, projectId: job.projectId, qs: { location: job.location } },
      jobSchema,
      ctx,
    );
  }

  /** Best effort: a cancel that fails is logged, never thrown (the job may be done already). */
  async cancel(job: JobReference): Promise<void> {
    try {
      await this.request(`jobs.cancel of ${job.jobId}`, {
        method: 'POST',
        uri: `/jobs/${encodeURIComponent(job.jobId)}/cancel`,
        projectId: job.projectId,
        qs: { location: job.location },
      });
    } catch (e) {
      this.o.logger?.debug({ job: job.jobId, err: (e as Error).message }, 'cancelling a query job failed');
    }
  }

  /** Jobs run where the data is: the configured location, when there is one (else BigQuery works it out). */
  private jobReference(jobId?: string): Record<string, string> {
    return { projectId: this.o.billingProject, ...(jobId ? { jobId } : {}), ...(this.o.location ? { location: this.o.location } : {}) };
  }

  /** One REST call with retries, its answer checked against `schema`. */
  private call<S extends z.ZodType>(
    what: string,
    req: RequestOptions,
    schema: S,
    ctx: CallContext,
    send: (what: string, req: RequestOptions) => Promise<unknown> = (w, r) => this.request(w, r),
  ): Promise<z.output<S>> {
    return withRetries(
      what,
      async () => {
        const body = await untilAborted(send(what, req), ctx.signal);
        const parsed = schema.safeParse(body);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new BigQueryMalformedResponseError(
            `${what} answered something the connector cannot read: ${issue ? `${issue.path.join('.') || 'the body'}: ${issue.message}` : 'unexpected shape'}`,
          );
        }
        return parsed.data as z.output<S>;
      },
      { policy: this.o.retries, signal: ctx.signal, logger: ctx.logger ?? this.o.logger },
    );
  }

  /**
   * The official client's authenticated request as a stream, its text read by `parse`; failures
   * as catalogue errors. Result pages go this way: the client's own answer handling deep-copies
   * the parsed body, which for pages of rows costs more than fetching them.
   */
  private requestStreamed(what: string, req: RequestOptions, parse: (text: string) => unknown): Promise<unknown> {
    const redact = (t: string) => this.redact(t);
    return new Promise((resolve, reject) => {
      const stream = this.bigquery.requestStream({ timeout: this.o.requestTimeoutMs, ...req });
      let status = 0;
      let headers: Record<string, string | string[] | undefined> = {};
      const chunks: Buffer[] = [];
      stream.on('response', (res: { statusCode?: number; headers?: Record<string, string | string[] | undefined> }) => {
        status = res.statusCode ?? 0;
        headers = res.headers ?? {};
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (e: unknown) => reject(translateApiError(what, e, redact)));
      stream.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (status < 200 || status > 299) {
          let error: { code?: number; message?: string; errors?: GoogleErrorItem[] } | undefined;
          try {
            error = (JSON.parse(text) as { error?: typeof error }).error;
          } catch {
            // Not Google's error shape: described by its status and text.
          }
          const answer = { code: error?.code ?? status, message: error?.message ?? text.slice(0, 300), errors: error?.errors, response: { headers } };
          return reject(translateApiError(what, answer, redact));
        }
        try {
          resolve(parse(text));
        } catch (e) {
          reject(new BigQueryMalformedResponseError(`${what} answered something that is not a JSON answer: ${(e as Error).message}`));
        }
      });
    });
  }

  /** The official client's authenticated request, as a promise; failures as catalogue errors. */
  private request(what: string, req: RequestOptions): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.bigquery.request({ timeout: this.o.requestTimeoutMs, ...req }, (err, body) => {
        if (err) reject(translateApiError(what, err, (t) => this.redact(t)));
        else resolve(body);
      });
    });
  }
}
