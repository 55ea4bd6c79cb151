// FakeKeboola, a local stand-in for a Keboola stack for tests and benchmarks: starts the two
// HTTP servers, records every request, applies injected failures and dispatches to the Storage
// API routes or the object storages. Also the `./testing` entry point's module: the fake's
// public types and helpers are re-exported here.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyFailures, type Injection } from './fake-failures.js';
import { parseBody, readBody, send } from './fake-http.js';
import type { FakeRow, FakeTable, RecordedRequest, StoredObject } from './fake-model.js';
import { serveAzureObject, serveGcsObject, serveS3Object, serveSigned } from './fake-object-storage.js';
import { FakeStorageApi } from './fake-storage-api.js';

export { FAKE_SECRETS } from './fake-credentials.js';
export type { Injection } from './fake-failures.js';
export type { FakeRow, FakeTable, RecordedRequest } from './fake-model.js';
export { csvLine } from './fake-storage-api.js';

/**
 * A local stand-in for a Keboola stack, speaking the Storage API's request and response
 * shapes: buckets, tables (columns, metadata, column metadata, primary key), export-async →
 * jobs → files (`?federationToken=1`), signed URLs for non-sliced files and manifests, and the
 * file storages behind sliced exports — an S3 endpoint (path-style GetObject, checks the access
 * key and session token), a GCS JSON API (`alt=media`, bearer token) and Azure Blob (SAS).
 * Failures are injected per request: status codes with Retry-After, delays, truncated or corrupt bodies.
 */
export class FakeKeboola {
  readonly tables = new Map<string, FakeTable>();
  readonly requests: RecordedRequest[] = [];
  readonly injections: Injection[] = [];
  /** Polls of a job before it finishes (it is `processing` until then). */
  jobPolls = 2;
  /** Answer 500 to everything (a broken stack). */
  down = false;
  /** Objects of the file storages: `<bucket>/<key>` → bytes or a local file. */
  readonly objects = new Map<string, StoredObject>();

  /** Buckets, tables, export jobs and files; reads this fake's public state. */
  private readonly storageApi = new FakeStorageApi(this);
  private api!: Server;
  private s3!: Server;
  apiUrl = '';
  s3Url = '';

  constructor(readonly token: string) {}

  static async start(token: string): Promise<FakeKeboola> {
    const f = new FakeKeboola(token);
    f.api = createServer((req, res) => void f.handle('api', req, res));
    f.s3 = createServer((req, res) => void f.handle('s3', req, res));
    for (const s of [f.api, f.s3]) {
      s.keepAliveTimeout = 1000;
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    }
    f.apiUrl = `http://127.0.0.1:${(f.api.address() as AddressInfo).port}`;
    f.s3Url = `http://127.0.0.1:${(f.s3.address() as AddressInfo).port}`;
    return f;
  }

  async close(): Promise<void> {
    for (const s of [this.api, this.s3]) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }

  /** Plugin config pointing at this fake. */
  config(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      url: this.apiUrl,
      token_env: 'AIDA_TEST_KBC_TOKEN',
      s3_endpoint: this.s3Url,
      gcs_endpoint: `${this.apiUrl}/gcs`,
      timeouts: { request: '2s', idle: '2s', poll_initial: '20ms', poll_max: '100ms' },
      retries: { max: 3, base_delay: '20ms', max_delay: '200ms' },
      ...extra,
    };
  }

  addTable(t: FakeTable): void {
    this.tables.set(t.id, t);
  }

  /** Inserts or updates rows by primary key, stamping them as changed now. */
  upsert(tableId: string, rows: FakeRow['values'][], at = Date.now()): void {
    const t = this.tables.get(tableId)!;
    for (const values of rows) {
      const i = t.rows.findIndex((r) => t.primaryKey.every((k) => r.values[k] === values[k]));
      if (i >= 0) t.rows[i] = { values, changedAt: at };
      else t.rows.push({ values, changedAt: at });
    }
  }

  inject(i: Injection): void {
    this.injections.push({ times: 1, ...i });
  }

  /** Serves a sliced export's slices from a local gzip file (a path) or gzip bytes each (benchmarks). */
  registerSlicedFile(files: (string | Buffer)[], provider: 'aws' = 'aws'): number {
    return this.storageApi.registerSlicedFile(files, provider);
  }

  /** Makes every export of a table finish with an existing file instead of generating one. */
  exportAs(tableId: string, fileId: number): void {
    this.storageApi.exportAs(tableId, fileId);
  }

  exportRequests(tableId?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/export-async') && (!tableId || r.path.includes(encodeURIComponent(tableId))));
  }

  private async handle(server: 'api' | 's3', req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const bodyText = await readBody(req);
    const query: Record<string, string | string[]> = {};
    for (const k of new Set(url.searchParams.keys())) {
      const all = url.searchParams.getAll(k);
      query[k] = all.length > 1 ? all : all[0];
    }
    let body: Record<string, unknown> | undefined;
    if (bodyText) body = parseBody(bodyText, req.headers['content-type']);
    this.requests.push({ server, method: req.method ?? 'GET', path: url.pathname, query, body, hadToken: req.headers['x-storageapi-token'] !== undefined });

    try {
      const failure = await applyFailures(this, server, req.method, url.pathname, res);
      if (!failure) return;
      const { damage } = failure;
      const p = url.pathname;
      if (server === 's3') return await serveS3Object(this.objects, req, url, res, damage);
      if (p.startsWith('/signed/')) return serveSigned(this.storageApi.files, url, res, damage);
      if (p.startsWith('/gcs/')) return await serveGcsObject(this.objects, req, url, res, damage);
      if (p.startsWith('/azure/')) return await serveAzureObject(this.objects, url, res, damage);
      return this.storageApi.route(req, url, body ?? {}, res);
    } catch (e) {
      if (!res.headersSent) send(res, 500, { error: (e as Error).message, status: 'error' });
    }
  }
}
