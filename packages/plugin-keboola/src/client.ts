// The Keboola Storage API client: listing buckets and tables, asynchronous table export
// (export-async → job polling → file detail) and the token-authenticated request they share.
// Downloading the exported file is delegated to download.ts; this module is also the package's
// single import point for the client's types and helpers, so they are re-exported here.
import { setTimeout as sleep } from 'node:timers/promises';
import { redactText } from '@aida/core';
import type {
  CallContext,
  ClientRuntime,
  DownloadedExport,
  ExportOptions,
  KeboolaBucket,
  KeboolaClientOptions,
  KeboolaFile,
  KeboolaJob,
  KeboolaTable,
} from './client-types.js';
import { downloadExport } from './download.js';
import { defaultGunzipWorkerUrl, GunzipThread } from './gunzip-thread.js';
import { httpError, timeBounded, transportError, USER_AGENT } from './http.js';
import { KeboolaJobFailedError, KeboolaJobTimeoutError, KeboolaMalformedResponseError } from './errors.js';
import { withRetries, type RetryPolicy } from './retry.js';
import { parseSasConnectionString } from './slice-storage.js';

export { KeboolaError } from './retry.js';
export type {
  CallContext,
  DownloadedExport,
  ExportOptions,
  KeboolaBucket,
  KeboolaClientOptions,
  KeboolaFile,
  KeboolaJob,
  KeboolaMetadata,
  KeboolaTable,
} from './client-types.js';
export { parseObjectUrl, parseSasConnectionString } from './slice-storage.js';

/**
 * A client for the Keboola Storage API: listing, asynchronous table export and download of
 * the exported file from the stack's storage (S3, GCS or Azure Blob). Every request is
 * time-bounded and retried on 429, 5xx, timeouts and network errors; no message it produces
 * contains the token, storage credentials or a signed URL's query.
 */
export class KeboolaClient {
  private readonly policy: RetryPolicy;
  private readonly secrets = new Set<string>();
  /** What the download helpers share with this client; `redact` sees every secret learned so far. */
  private readonly runtime: ClientRuntime;

  constructor(private readonly o: KeboolaClientOptions) {
    this.policy = { max: o.retries.max, baseDelay: o.retries.base_delay, maxDelay: o.retries.max_delay, maxRetryAfter: o.retries.max_retry_after };
    this.secrets.add(o.token);
    const gunzipWorker = o.gunzipWorker === undefined ? defaultGunzipWorkerUrl() : o.gunzipWorker;
    this.runtime = {
      options: o,
      policy: this.policy,
      redact: (text) => this.redact(text),
      ...(gunzipWorker ? { gunzip: new GunzipThread(gunzipWorker) } : {}),
    };
  }

  /** `GET /v2/storage/buckets` */
  listBuckets(ctx: CallContext): Promise<KeboolaBucket[]> {
    return this.api<KeboolaBucket[]>('GET', '/v2/storage/buckets', ctx);
  }

  /** `GET /v2/storage/tables?include=columns,metadata,columnMetadata,buckets`: every table the token sees. */
  listTables(ctx: CallContext): Promise<KeboolaTable[]> {
    return this.api<KeboolaTable[]>('GET', '/v2/storage/tables', ctx, { query: { include: 'columns,metadata,columnMetadata,buckets' } });
  }

  /** `GET /v2/storage/buckets/{id}/tables?include=…`: the tables of one bucket. */
  listBucketTables(bucketId: string, ctx: CallContext): Promise<KeboolaTable[]> {
    return this.api<KeboolaTable[]>('GET', `/v2/storage/buckets/${encodeURIComponent(bucketId)}/tables`, ctx, {
      query: { include: 'columns,metadata,columnMetadata' },
    });
  }

  /** `GET /v2/storage/tables/{id}`: columns, metadata, primary key, row count. */
  tableDetail(tableId: string, ctx: CallContext): Promise<KeboolaTable> {
    return this.api<KeboolaTable>('GET', `/v2/storage/tables/${encodeURIComponent(tableId)}`, ctx);
  }

  /** `POST /v2/storage/tables/{id}/export-async`; returns the queued job. */
  startExport(tableId: string, options: ExportOptions, ctx: CallContext): Promise<KeboolaJob> {
    const body: Record<string, unknown> = { gzip: true };
    // Keboola reads changedSince with strtotime(); a unix timestamp is unambiguous.
    if (options.changedSince) body.changedSince = String(Math.floor(options.changedSince.getTime() / 1000));
    if (options.columns?.length) body.columns = [...options.columns];
    if (options.where) {
      body.whereColumn = options.where.column;
      body.whereValues = [...options.where.values];
      body.whereOperator = options.where.operator;
    }
    return this.api<KeboolaJob>('POST', `/v2/storage/tables/${encodeURIComponent(tableId)}/export-async`, ctx, { json: body });
  }

  /** `GET /v2/storage/jobs/{id}` */
  job(jobId: number, ctx: CallContext): Promise<KeboolaJob> {
    return this.api<KeboolaJob>('GET', `/v2/storage/jobs/${encodeURIComponent(String(jobId))}`, ctx);
  }

  /** Polls a job with growing pauses until it succeeds; a failed job or `timeouts.export` throws. */
  async waitForJob(jobId: number, what: string, ctx: CallContext): Promise<KeboolaJob> {
    const deadline = Date.now() + this.o.timeouts.export;
    let pause = this.o.timeouts.poll_initial;
    for (;;) {
      const job = await this.job(jobId, ctx);
      if (job.status === 'success') return job;
      if (job.status === 'error') {
        const why = job.error?.message ?? 'no reason given';
        throw new KeboolaJobFailedError(this.redact(`Keboola ${what} job ${jobId} failed: ${why}${job.error?.code ? ` (${job.error.code})` : ''}`));
      }
      if (Date.now() + pause > deadline) {
        throw new KeboolaJobTimeoutError(
          `Keboola ${what} job ${jobId} did not finish within ${Math.round(this.o.timeouts.export / 1000)}s (last status: ${job.status})`,
        );
      }
      await sleep(Math.round(pause * (0.8 + Math.random() * 0.4)), undefined, { signal: ctx.signal });
      pause = Math.min(this.o.timeouts.poll_max, pause * 1.5);
    }
  }

  /** `GET /v2/storage/files/{id}?federationToken=1`: signed URL and storage credentials of a file. */
  async fileDetail(fileId: number, ctx: CallContext): Promise<KeboolaFile> {
    const file = await this.api<KeboolaFile>('GET', `/v2/storage/files/${encodeURIComponent(String(fileId))}`, ctx, { query: { federationToken: '1' } });
    // Storage credentials are as secret as the token: never in a message.
    for (const s of [
      file.credentials?.SecretAccessKey,
      file.credentials?.SessionToken,
      file.gcsCredentials?.access_token,
      file.absCredentials?.SASConnectionString,
    ]) {
      if (s) this.secrets.add(s);
    }
    const sas = file.absCredentials ? parseSasConnectionString(file.absCredentials.SASConnectionString).sas : undefined;
    if (sas) this.secrets.add(sas);
    return file;
  }

  /** Exports a table and waits for the file: export-async → job → file detail. */
  async exportTable(tableId: string, options: ExportOptions, ctx: CallContext): Promise<KeboolaFile> {
    const queued = await this.startExport(tableId, options, ctx);
    const done = await this.waitForJob(queued.id, `export of ${tableId}`, ctx);
    const fileId = done.results?.file?.id;
    if (fileId === undefined || fileId === null) {
      throw new KeboolaMalformedResponseError(`Keboola export job ${queued.id} of ${tableId} succeeded without a file in its results`);
    }
    return this.fileDetail(fileId, ctx);
  }

  /**
   * Downloads an exported file into `dir` as decompressed CSV: a non-sliced file from its signed
   * URL, a sliced one slice by slice (bounded parallelism) from the stack's storage.
   */
  download(file: KeboolaFile, dir: string, ctx: CallContext): Promise<DownloadedExport> {
    return downloadExport(file, dir, ctx, this.runtime);
  }

  /** Masks the token, storage credentials and the query of any URL (signatures) in a text. */
  redact(text: string): string {
    return redactText(text, [...this.secrets]).replace(/\b((?:https?|s3|gs|azure):\/\/[^\s?#"'<>]*)\?[^\s"'<>]*/g, '$1?[redacted]');
  }

  private async api<T>(method: 'GET' | 'POST', path: string, ctx: CallContext, o: { query?: Record<string, string>; json?: unknown } = {}): Promise<T> {
    const url = new URL(`${this.o.url}${path}`);
    for (const [k, v] of Object.entries(o.query ?? {})) url.searchParams.set(k, v);
    const what = `${method} ${path}`;
    return withRetries(
      what,
      async () => {
        let res: Response;
        let text: string;
        try {
          [res, text] = await timeBounded([ctx.signal], this.o.timeouts.request, async (signal) => {
            const r = await fetch(url, {
              method,
              headers: {
                'X-StorageApi-Token': this.o.token,
                accept: 'application/json',
                'user-agent': USER_AGENT,
                ...(o.json === undefined ? {} : { 'content-type': 'application/json' }),
              },
              body: o.json === undefined ? undefined : JSON.stringify(o.json),
              signal,
            });
            return [r, await r.text()] as const;
          });
        } catch (e) {
          throw transportError(`Keboola ${what}`, e, ctx.signal, this.o.timeouts.request, this.runtime.redact);
        }
        if (!res.ok) throw httpError(`Keboola ${what}`, res.status, res.headers.get('retry-after'), text, this.runtime.redact);
        try {
          return JSON.parse(text) as T;
        } catch {
          throw new KeboolaMalformedResponseError(`Keboola ${what} answered ${res.status} with a body that is not JSON: ${this.redact(text.slice(0, 200))}`);
        }
      },
      { policy: this.policy, signal: ctx.signal, logger: ctx.logger ?? this.o.logger },
    );
  }
}
