// The source's API client. The source is a made-up REST API, small enough to read in one
// sitting; replace it with yours, keeping the shape: every request time-bounded, 429/5xx,
// timeouts and network errors retried (honouring Retry-After), every answer checked against
// what the API documents, and no message ever carrying the token. No host imports.
//
//   GET /v1/tables
//     → { "tables": [{ "name", "description"?, "primary_key": [..], "incremental": bool, "columns": [{ "name", "type" }] }] }
//   GET /v1/tables/{name}/rows?updated_since=<ISO 8601>&page=<n>     (pages count from 1)
//     → { "rows": [{ column: value, … }], "next_page": <n> | null }
//
// Requests carry `Authorization: Bearer <token>`. `updated_since` keeps the rows changed at or
// after that instant; incremental tables have an `updated_at` column saying when.
import { setTimeout as sleep } from 'node:timers/promises';
import { formatDuration, redactText, UnavailableError, type ExtractRequest } from '@aida/core';
import { z } from 'zod';

export type Logger = ExtractRequest['logger'];

const tableSchema = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  primary_key: z.array(z.string()).default([]),
  incremental: z.boolean().default(false),
  // Names and types are checked per table (extract.ts), so one odd table fails alone.
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
});
const tableListSchema = z.object({ tables: z.array(tableSchema) });
const rowsPageSchema = z.object({
  rows: z.array(z.record(z.string(), z.unknown())),
  next_page: z.number().int().positive().nullable(),
});

/** A table as `GET /v1/tables` lists it. */
export type SourceTable = z.output<typeof tableSchema>;
/** One row as the API sends it: column name → JSON value. */
export type SourceRow = Record<string, unknown>;

export interface SourceClientOptions {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  retries: { max: number; baseDelayMs: number; maxRetryAfterMs: number };
  logger?: Logger;
}

/** How one attempt went: the answer's JSON, or why not and whether another attempt may do better. */
type Attempt = { ok: true; body: unknown } | { ok: false; retryable: boolean; retryAfterMs?: number; message: string };

/** A client of the source's REST API. Failures are `UnavailableError`s whose messages name the request. */
export class SourceClient {
  constructor(private readonly o: SourceClientOptions) {}

  /** `GET /v1/tables`: every table the token may read. */
  async listTables(signal: AbortSignal): Promise<SourceTable[]> {
    return (await this.get('/v1/tables', {}, tableListSchema, signal)).tables;
  }

  /** `GET /v1/tables/{name}/rows`, one page at a time: every row, or those updated since `updatedSince`. */
  async *rows(table: string, updatedSince: Date | undefined, signal: AbortSignal): AsyncGenerator<SourceRow[]> {
    for (let page: number | null = 1; page !== null;) {
      const query: Record<string, string> = { page: String(page) };
      if (updatedSince) query.updated_since = updatedSince.toISOString();
      const answer = await this.get(`/v1/tables/${encodeURIComponent(table)}/rows`, query, rowsPageSchema, signal);
      yield answer.rows;
      // A server that keeps answering the same page would otherwise keep us here forever.
      if (answer.next_page !== null && answer.next_page <= page) {
        throw new UnavailableError(`template source: page ${page} of table ${table} points back to page ${answer.next_page}`);
      }
      page = answer.next_page;
    }
  }

  /** The text with the token masked: for anything that quotes the source's own words. */
  redact(text: string): string {
    return redactText(text, [this.o.token]);
  }

  private async get<S extends z.ZodType>(path: string, query: Record<string, string>, schema: S, signal: AbortSignal): Promise<z.output<S>> {
    const url = new URL(`${this.o.baseUrl}${path}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const what = `template source GET ${url.pathname}${url.search}`;
    const { max, baseDelayMs, maxRetryAfterMs } = this.o.retries;
    for (let attempt = 0; ; attempt++) {
      const a = await this.attempt(url, signal);
      if (a.ok) {
        const parsed = schema.safeParse(a.body);
        if (parsed.success) return parsed.data;
        const problems = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
        throw new UnavailableError(`${what} answered JSON that is not what the API documents (${problems.join('; ')})`);
      }
      const message = `${what} ${this.redact(a.message)}`;
      if (!a.retryable) throw new UnavailableError(message);
      if (attempt >= max) throw new UnavailableError(`${message} (gave up after ${attempt + 1} attempts)`);
      if (a.retryAfterMs !== undefined && a.retryAfterMs > maxRetryAfterMs) {
        throw new UnavailableError(`${message}; it asks to retry after ${formatDuration(a.retryAfterMs)}, longer than retries.max_retry_after`);
      }
      // Retry-After is the server's floor; otherwise exponential backoff, jittered so parallel syncs spread out.
      const delay = a.retryAfterMs ?? Math.round(baseDelayMs * 2 ** attempt * (0.5 + Math.random() * 0.5));
      this.o.logger?.warn({ attempt: attempt + 1, delay_ms: delay }, `${message}; retrying in ${delay} ms`);
      await sleep(delay, undefined, { signal });
    }
  }

  private async attempt(url: URL, signal: AbortSignal): Promise<Attempt> {
    // A plain timer rather than AbortSignal.timeout(): Node 20 holds the inputs of
    // AbortSignal.any() weakly, and an unreferenced timeout signal may be collected unfired.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.o.timeoutMs);
    try {
      const res = await fetch(url, {
        headers: { authorization: `Bearer ${this.o.token}`, accept: 'application/json' },
        signal: AbortSignal.any([signal, deadline.signal]),
      });
      const text = await res.text(); // inside the deadline too: a body that trickles is a slow answer
      if (res.ok) {
        try {
          return { ok: true, body: JSON.parse(text) };
        } catch {
          return { ok: false, retryable: false, message: `answered ${res.status} with a body that is not JSON: ${snippet(text)}` };
        }
      }
      const retryable = res.status === 429 || res.status >= 500;
      const hint = res.status === 401 || res.status === 403 ? ' (check the token in the variable the config names in token_env)' : '';
      return {
        ok: false,
        retryable,
        retryAfterMs: retryable ? parseRetryAfter(res.headers.get('retry-after')) : undefined,
        message: `answered ${res.status}: ${snippet(text)}${hint}`,
      };
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      if (deadline.signal.aborted) return { ok: false, retryable: true, message: `gave no answer within ${formatDuration(this.o.timeoutMs)}` };
      const cause = (e as { cause?: { code?: string } }).cause?.code; // e.g. ECONNREFUSED
      return { ok: false, retryable: true, message: `failed: ${(e as Error).message}${cause ? ` (${cause})` : ''}` };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** `Retry-After` in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The start of a body, on one line: enough to recognise an error page, never a whole dump. */
function snippet(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line || '(empty body)';
}
