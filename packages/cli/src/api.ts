// The HTTP client `da` talks to the server with: bearer auth, a deadline per request, retries
// with backoff and jitter for what is safe to retry, and every failure turned into a CliError
// whose kind says whether it was auth, network, server or our own input.
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError } from './errors.js';

export interface ApiOptions {
  server: string;
  token?: string;
  /** Per-attempt deadline for a JSON call or for the response headers of a download. */
  timeoutMs?: number;
  /** Extra attempts for idempotent requests on network errors, 429 and 5xx. */
  retries?: number;
  /** Backoff base; tests make it short. */
  backoffMs?: number;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as multipart/form-data instead of `body`. */
  form?: FormData;
  headers?: Record<string, string>;
  /** Retried by default for GET only. */
  retry?: boolean;
  signal?: AbortSignal;
}

/** The error body every AIDA route answers with. */
interface ErrorBody {
  code?: string;
  message?: string;
  detail?: unknown;
}

/** Exponential backoff with ±25 % jitter: `base`, then 2×, 4×, … */
export function backoffDelay(baseMs: number, attempt: number): number {
  return Math.round(baseMs * 2 ** attempt * (0.75 + Math.random() * 0.5));
}

export class Api {
  readonly server: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  /** Also what downloads use for their own (resuming) retries. */
  readonly retries: number;
  readonly backoffMs: number;

  constructor(o: ApiOptions) {
    this.server = o.server;
    this.token = o.token;
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.retries = o.retries ?? 3;
    this.backoffMs = o.backoffMs ?? 500;
  }

  /** A JSON call; the parsed body of a 2xx answer (undefined for 204). */
  async json<T>(path: string, o: RequestOptions = {}): Promise<T> {
    const res = await this.send(path, o, async (r) => {
      const text = await r.text();
      return { res: r, text };
    });
    if (res.res.status === 204 || !res.text) return undefined as T;
    try {
      return JSON.parse(res.text) as T;
    } catch {
      throw new CliError('server', `${o.method ?? 'GET'} ${path} answered ${res.res.status} with a body that is not JSON`);
    }
  }

  /** A multipart POST (uploads); never retried, its JSON answer returned. */
  form<T>(path: string, form: FormData): Promise<T> {
    return this.json<T>(path, { method: 'POST', form, retry: false });
  }

  /**
   * A streaming call (downloads): resolves once the headers of a 2xx, 206 or 304 answer are in;
   * the caller reads the body. `signal` bounds the whole transfer.
   */
  async stream(path: string, o: RequestOptions = {}): Promise<Response> {
    return this.send(path, o, async (r) => r, true);
  }

  private async send<T>(path: string, o: RequestOptions, read: (r: Response) => Promise<T>, streaming = false): Promise<T> {
    const method = o.method ?? 'GET';
    const retry = o.retry ?? method === 'GET';
    const url = `${this.server}${path}`;
    for (let attempt = 0; ; attempt++) {
      let failure: CliError;
      let retryAfterMs: number | undefined;
      const deadline = new AbortController();
      // A plain timer, not AbortSignal.timeout inside AbortSignal.any: on Node 20 the latter can
      // be garbage-collected and never fire.
      const timer = setTimeout(
        () => deadline.abort(new CliError('network', `${method} ${path}: no answer within ${Math.round(this.timeoutMs / 1000)} s`, { hint: UNREACHABLE_HINT })),
        this.timeoutMs,
      );
      try {
        const signal = o.signal ? AbortSignal.any([o.signal, deadline.signal]) : deadline.signal;
        const res = await fetch(url, {
          method,
          signal,
          headers: {
            accept: 'application/json',
            ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
            ...(o.body === undefined ? {} : { 'content-type': 'application/json' }),
            ...o.headers,
          },
          body: o.form ?? (o.body === undefined ? undefined : JSON.stringify(o.body)),
        });
        if (streaming) clearTimeout(timer); // the headers are in; the caller bounds the body
        if (res.ok || res.status === 304) return await read(res);
        const text = await res.text().catch(() => '');
        failure = httpFailure(method, path, res.status, text);
        retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
        if (!(res.status === 429 || res.status >= 500)) throw failure;
      } catch (e) {
        if (e instanceof CliError && (e.kind !== 'network' || !retry)) throw e;
        if (o.signal?.aborted) throw o.signal.reason ?? e;
        failure = e instanceof CliError ? e : networkFailure(method, path, this.server, e, deadline.signal);
      } finally {
        clearTimeout(timer);
      }
      if (!retry || attempt >= this.retries) throw failure;
      await sleep(retryAfterMs ?? backoffDelay(this.backoffMs, attempt));
    }
  }
}

function httpFailure(method: string, path: string, status: number, text: string): CliError {
  let body: ErrorBody = {};
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    // not JSON: use the status alone
  }
  const message = body.message ?? (text.trim().slice(0, 200) || `HTTP ${status}`);
  const details = { status, code: body.code, ...(body.detail === undefined || body.detail === null ? {} : { detail: body.detail }) };
  if (status === 401) return new CliError('auth', `Not signed in or the token is no longer valid: ${message}`, { ...details, hint: 'run da login' });
  if (status === 403) return new CliError('auth', message, details);
  if (status >= 500 || status === 429) return new CliError('server', `${method} ${path} failed (${status}): ${message}`, details);
  return new CliError('usage', message, details);
}

/** Where to go from "cannot reach": the commands that change or test the server URL. */
const UNREACHABLE_HINT =
  'check that the server is up and your network; da login --server URL changes the URL, da diagnose checks the connection, the token and the local files';

function networkFailure(method: string, path: string, server: string, e: unknown, deadline: AbortSignal): CliError {
  if (deadline.aborted && deadline.reason instanceof CliError) return deadline.reason;
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const why = err.cause?.code ?? err.cause?.message ?? err.message;
  // An https:// URL for a server that speaks plain http fails in the TLS handshake like this.
  const hint =
    server.startsWith('https:') && /^ERR_SSL_/.test(err.cause?.code ?? '')
      ? `${server} does not answer in TLS; if it serves plain http, use --server ${server.replace(/^https:/, 'http:')}`
      : UNREACHABLE_HINT;
  return new CliError('network', `Cannot reach ${server} (${method} ${path}: ${why})`, { hint });
}

function parseRetryAfter(h: string | null): number | undefined {
  if (!h) return undefined;
  const s = Number(h);
  if (Number.isFinite(s)) return Math.min(60_000, Math.max(0, s * 1000));
  const at = Date.parse(h);
  return Number.isFinite(at) ? Math.min(60_000, Math.max(0, at - Date.now())) : undefined;
}
