// FakeBigQuery, a local stand-in for BigQuery for tests and benchmarks: a node:http server on
// 127.0.0.1 speaking REST v2 (see fake-routes.ts for the paths) and Google's OAuth2 token
// endpoint for service accounts (fake-auth.ts). Every REST call needs a Bearer token the fake
// issued; every request is recorded; failures are injected per path. Point the official
// client at it with `new BigQuery({ projectId, apiEndpoint: fake.url, authClient })`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeAuth, type ServiceAccountKey } from './fake-auth.js';
import { Catalog, StoredTable } from './fake-catalog.js';
import { BigQueryError } from './fake-errors.js';
import { Failures } from './fake-failures.js';
import { GENERATED_COLUMNS } from './fake-generated.js';
import { queryRecord, readBody, sendError, sendJson } from './fake-http.js';
import { Jobs } from './fake-jobs.js';
import type {
  AddDatasetOptions,
  AddGeneratedTableOptions,
  AddTableOptions,
  Failure,
  FailureSpec,
  FakeTableHandle,
  QueryLogEntry,
  RecordedRequest,
} from './fake-model.js';
import { route } from './fake-routes.js';
import { canonicalFields } from './fake-schema.js';

export interface StartFakeBigQueryOptions {
  /** The project jobs run in and datasets default to. */
  projectId: string;
  /** Where datasets live unless `addDataset` says otherwise (default `US`). */
  location?: string;
  /** How long each query job stays RUNNING before it is DONE (default 0). */
  jobDelayMs?: number;
}

const TOKEN_PATH = '/token';

export class FakeBigQuery {
  readonly requests: RecordedRequest[] = [];
  /** Every query the fake evaluated, dry runs and refusals included. */
  readonly queryLog: QueryLogEntry[] = [];
  /** How long new query jobs stay RUNNING (jobs.get says RUNNING; getQueryResults waits up to its timeoutMs). */
  jobDelayMs: number;
  readonly projectId: string;
  readonly location: string;
  url = '';
  tokenUrl = '';

  private readonly server: Server;
  private readonly catalog: Catalog;
  private readonly failures = new Failures();
  private auth!: FakeAuth;
  private jobs!: Jobs;

  private constructor(options: StartFakeBigQueryOptions) {
    this.projectId = options.projectId;
    this.location = options.location ?? 'US';
    this.jobDelayMs = options.jobDelayMs ?? 0;
    this.catalog = new Catalog(this.projectId, this.location);
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 1000;
  }

  /** Starts a fake on a free loopback port. */
  static async start(options: StartFakeBigQueryOptions): Promise<FakeBigQuery> {
    const fake = new FakeBigQuery(options);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    fake.tokenUrl = `${fake.url}${TOKEN_PATH}`;
    fake.auth = new FakeAuth(fake.projectId, fake.tokenUrl);
    fake.jobs = new Jobs({
      catalog: fake.catalog,
      projectId: fake.projectId,
      defaultLocation: fake.location,
      baseUrl: fake.url,
      userEmail: fake.auth.key.client_email,
      jobDelayMs: () => fake.jobDelayMs,
      log: fake.queryLog,
    });
    return fake;
  }

  /** The service account JSON key the fake trusts; its `token_uri` is `tokenUrl`. */
  serviceAccountKey(): ServiceAccountKey {
    return { ...this.auth.key };
  }

  /** A Bearer token the fake accepts, issued without the JWT exchange. */
  accessToken(): string {
    return this.auth.accessToken();
  }

  /** Invalidates every token issued so far (the next REST call with one gets 401). */
  revokeTokens(): void {
    this.auth.revokeAll();
  }

  addDataset(datasetId: string, options: AddDatasetOptions = {}): void {
    this.catalog.addDataset(datasetId, options);
  }

  addTable(options: AddTableOptions): FakeTableHandle {
    const { datasetId, tableId, projectId, schema, rows = [], ...meta } = options;
    const ds = this.catalog.seedTarget(projectId, datasetId, tableId);
    const table = new StoredTable(ds, tableId, canonicalFields(schema, `${datasetId}.${tableId}`), { ...meta, type: meta.type ?? 'TABLE' }, rows);
    ds.tables.set(tableId, table);
    return table;
  }

  /** A table whose rows are made on demand from its columns' functions (default GENERATED_COLUMNS). */
  addGeneratedTable(options: AddGeneratedTableOptions): FakeTableHandle {
    const { datasetId, tableId, projectId, rows, columns = GENERATED_COLUMNS, ...meta } = options;
    if (!Number.isSafeInteger(rows) || rows < 0) throw new Error(`rows must be a non-negative integer, got ${rows}`);
    const ds = this.catalog.seedTarget(projectId, datasetId, tableId);
    const fields = canonicalFields(
      columns.map(({ value: _value, ...f }) => f),
      `${datasetId}.${tableId}`,
    );
    const table = new StoredTable(ds, tableId, fields, { ...meta, type: meta.type ?? 'TABLE' }, { count: rows, columns });
    ds.tables.set(tableId, table);
    return table;
  }

  /** A seeded table, to change its rows later. */
  table(datasetId: string, tableId: string, projectId = this.projectId): FakeTableHandle {
    return this.catalog.table(projectId, datasetId, tableId);
  }

  /** Makes the next matching requests fail (or wait); see FailureSpec. */
  fail(spec: FailureSpec): Failure {
    return this.failures.add(spec);
  }

  clearFailures(): void {
    this.failures.clear();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    try {
      const text = await readBody(req);
      const isToken = url.pathname === TOKEN_PATH;
      const query = queryRecord(url.searchParams);
      let body: unknown;
      let malformed = false;
      if (text && isToken) body = Object.fromEntries(new URLSearchParams(text));
      else if (text) [body, malformed] = parseJson(text);
      this.requests.push({ method, path: url.pathname, query, body, headers: { ...req.headers }, at: Date.now() });

      const injected = await this.failures.apply(method, url.pathname);
      if (injected) {
        if (isToken) return sendJson(res, injected.status, { error: injected.reason, error_description: injected.message });
        return sendError(res, injected.status, injected.reason, injected.message);
      }
      if (isToken) {
        if (method !== 'POST') return sendJson(res, 405, { error: 'invalid_request', error_description: 'The token endpoint takes POST.' });
        const answer = this.auth.grant(new URLSearchParams(text), this.tokenUrl);
        return sendJson(res, answer.status, answer.body, { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate' });
      }
      const auth = this.auth.check(req.headers.authorization);
      if (auth !== 'ok') {
        return auth === 'missing'
          ? sendError(
              res,
              401,
              'required',
              'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
              'Authorization',
            )
          : sendError(
              res,
              401,
              'authError',
              'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
              'Authorization',
            );
      }
      if (malformed) throw BigQueryError.invalid(`Invalid JSON payload received: ${text.slice(0, 40)}`);
      sendJson(res, 200, await route({ catalog: this.catalog, jobs: this.jobs, baseUrl: this.url }, method, url.pathname, query, body));
    } catch (e) {
      if (e instanceof BigQueryError) return sendError(res, e.code, e.reason, e.message, e.location);
      sendError(res, 500, 'internalError', `The fake failed: ${(e as Error).message}`);
    }
  }
}

/** Starts a fake BigQuery on a free loopback port. */
export function startFakeBigQuery(options: StartFakeBigQueryOptions): Promise<FakeBigQuery> {
  return FakeBigQuery.start(options);
}

/** A request body as JSON, and whether it was malformed (kept as text then, and answered 400 once the caller is authenticated). */
function parseJson(text: string): [unknown, boolean] {
  try {
    return [JSON.parse(text), false];
  } catch {
    return [text, true];
  }
}
