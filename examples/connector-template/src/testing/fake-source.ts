// A local stand-in for the source: an HTTP server on loopback speaking the REST protocol that
// client.ts documents, with the failures a real API has injected on demand — 429 with
// Retry-After, 5xx, slow answers, malformed JSON, an outage. The tests (and a benchmark, if the
// connector gets one) run against it; never against the real service. Turning the template into
// your connector, make this speak your source's protocol as faithfully as you can.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A table as `GET /v1/tables` lists it. */
export interface FakeTable {
  name: string;
  description?: string;
  primary_key: string[];
  incremental: boolean;
  columns: { name: string; type: string }[];
}

/** What the next matching requests get instead of their normal answer. */
export interface Failure {
  /** Matched against the request's path, e.g. `/\/orders\/rows$/`; every path when absent. */
  path?: RegExp;
  /** Answer with this status (429, 500, …) and a JSON error body. */
  status?: number;
  /** With `status`: the `Retry-After` header, e.g. `'1'` (seconds) or an HTTP date. */
  retryAfter?: string;
  /** Wait this long before answering: past the client's timeout, the request times out. */
  delayMs?: number;
  /** Answer 200 with JSON cut off in the middle. */
  malformed?: boolean;
  /** Answer with this body, as is: with `status`, an error page; alone, a 200 (e.g. JSON of the wrong shape). */
  body?: string;
  /** How many matching requests it applies to (default 1). */
  times?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Whether it carried the right bearer token. */
  authorized: boolean;
}

interface StoredRow {
  values: Record<string, unknown>;
  /** When it was stored here: what `updated_since` compares with. */
  changedAt: number;
}

/**
 * The fake source. `updated_since` keeps the rows stored at or after that instant — the same
 * instant as the row's `updated_at` unless a test gives `updated_at` itself (the write-modes
 * contract does, to choose the month a row falls in).
 */
export class FakeSource {
  readonly requests: RecordedRequest[] = [];
  readonly failures: Failure[] = [];
  /** Answer 503 to everything: the source is down. */
  down = false;
  /** Rows per page of `/rows`; small in tests, so that paging is exercised. */
  pageSize = 100;
  url = '';
  private readonly tables = new Map<string, { def: FakeTable; rows: StoredRow[] }>();
  private server!: Server;

  private constructor(readonly token: string) {}

  /** Starts the fake on a free loopback port; it accepts only `Authorization: Bearer <token>`. */
  static async start(token: string): Promise<FakeSource> {
    const fake = new FakeSource(token);
    fake.server = createServer((req, res) => {
      fake.handle(req, res).catch((e: unknown) => send(res, 500, { error: `fake source: ${(e as Error).message}` }));
    });
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Adds (or replaces) a table, with its first rows. */
  addTable(def: FakeTable, rows: Record<string, unknown>[] = []): void {
    this.tables.set(def.name, { def, rows: [] });
    this.upsert(def.name, rows);
  }

  /**
   * New or changed rows, matched by primary key. A changed row moves to the end, as a source
   * listing rows by change time would; `updated_at`, when the table has it and the row does not
   * say, is now.
   */
  upsert(table: string, rows: Record<string, unknown>[]): void {
    const t = this.table(table);
    const now = Date.now();
    const hasUpdatedAt = t.def.columns.some((c) => c.name === 'updated_at');
    for (const values of rows) {
      const key = keyOf(t.def, values);
      const at = t.rows.findIndex((r) => keyOf(t.def, r.values) === key);
      if (at >= 0) t.rows.splice(at, 1);
      t.rows.push({
        values: hasUpdatedAt && values.updated_at === undefined ? { ...values, updated_at: new Date(now).toISOString() } : values,
        changedAt: now,
      });
    }
  }

  /** Deletes rows by their primary key's value (tables with a one-column key). */
  remove(table: string, keys: readonly unknown[]): void {
    const t = this.table(table);
    const gone = new Set(keys.map((k) => JSON.stringify([k])));
    t.rows = t.rows.filter((r) => !gone.has(keyOf(t.def, r.values)));
  }

  /** Queues a failure for the next matching requests. */
  fail(failure: Failure): void {
    this.failures.push({ times: 1, ...failure });
  }

  private table(name: string): { def: FakeTable; rows: StoredRow[] } {
    const t = this.tables.get(name);
    if (!t) throw new Error(`fake source has no table ${name}`);
    return t;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const authorized = req.headers.authorization === `Bearer ${this.token}`;
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), authorized });
    if (this.down) return send(res, 503, { error: 'service unavailable' });

    const failure = this.failures.find((f) => (f.times ?? 1) > 0 && (!f.path || f.path.test(url.pathname)));
    if (failure) {
      failure.times = (failure.times ?? 1) - 1;
      if (failure.delayMs) await new Promise((r) => setTimeout(r, failure.delayMs));
      if (failure.status)
        return send(
          res,
          failure.status,
          failure.body ?? { error: `injected ${failure.status}` },
          failure.retryAfter ? { 'retry-after': failure.retryAfter } : {},
        );
      if (failure.malformed) return send(res, 200, '{"rows": [{"id": 1, "note": "cut off her');
      if (failure.body !== undefined) return send(res, 200, failure.body);
    }

    if (!authorized) return send(res, 401, { error: 'missing or invalid bearer token' });
    if (req.method !== 'GET') return send(res, 405, { error: 'only GET' });
    if (url.pathname === '/v1/tables') return send(res, 200, { tables: [...this.tables.values()].map((t) => t.def) });

    const rowsPath = /^\/v1\/tables\/([^/]+)\/rows$/.exec(url.pathname);
    const t = rowsPath && this.tables.get(decodeURIComponent(rowsPath[1]));
    if (!t) return send(res, 404, { error: 'no such table' });
    const page = Number(url.searchParams.get('page') ?? '1');
    if (!Number.isInteger(page) || page < 1) return send(res, 400, { error: 'page must be a whole number from 1' });
    const sinceParam = url.searchParams.get('updated_since');
    const since = sinceParam === null ? -Infinity : Date.parse(sinceParam);
    if (Number.isNaN(since)) return send(res, 400, { error: 'updated_since must be an ISO 8601 instant' });
    const matching = t.rows.filter((r) => r.changedAt >= since);
    const rows = matching.slice((page - 1) * this.pageSize, page * this.pageSize).map((r) => r.values);
    send(res, 200, { rows, next_page: page * this.pageSize < matching.length ? page + 1 : null });
  }
}

function keyOf(def: FakeTable, values: Record<string, unknown>): string {
  return JSON.stringify(def.primary_key.map((k) => values[k]));
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return; // the client gave up (a timeout) while we were slow
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}
