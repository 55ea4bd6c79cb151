// The HTTP client `da` talks to the server with: bearer auth, a deadline per request, retries
// with backoff and jitter for what is safe to retry, and every failure turned into a CliError
// whose kind says whether it was auth, network, server or our own input.
import { setTimeout as sleep } from 'node:timers/promises';
import type { IncomingMessage } from 'node:http';
import { CliError } from './errors.js';
import { header, httpRequest, readText } from './http-request.js';

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
    const res = await this.send(path, o);
    if (res.status === 204 || !res.text) return undefined as T;
    try {
      return JSON.parse(res.text) as T;
    } catch {
      throw new CliError('server', `${o.method ?? 'GET'} ${path} answered ${res.status} with a body that is not JSON`);
    }
  }

  /** A multipart POST (uploads); never retried, its JSON answer returned. */
  form<T>(path: string, form: FormData): Promise<T> {
    return this.json<T>(path, { method: 'POST', form, retry: false });
  }

  /**
   * A download (never retried here: the caller resumes; a POST sends `body` as JSON): resolves once the headers of a 2xx
   * or 304 answer are in, with the body to read; `signal` bounds the whole transfer.
   * Failures are the same CliErrors as `json`'s.
   */
  async download(
    path: string,
    o: { headers?: Record<string, string>; signal?: AbortSignal; method?: 'GET' | 'POST'; body?: unknown } = {},
  ): Promise<IncomingMessage> {
    const method = o.method ?? 'GET';
    const abort = new AbortController();
    const timer = setTimeout(
      () => abort.abort(new CliError('network', `${method} ${path}: no answer within ${Math.round(this.timeoutMs / 1000)} s`, { hint: UNREACHABLE_HINT })),
      this.timeoutMs,
    );
    const outer = o.signal;
    const onOuter = () => abort.abort(outer?.reason);
    if (outer?.aborted) onOuter();
    else outer?.addEventListener('abort', onOuter, { once: true });
    let res: IncomingMessage;
    try {
      const json = o.body !== undefined;
      res = await httpRequest(
        new URL(`${this.server}${path}`),
        { method, headers: this.headers(o.headers, json), ...(json ? { body: JSON.stringify(o.body) } : {}) },
        abort.signal,
      );
    } catch (e) {
      outer?.removeEventListener('abort', onOuter);
      if (outer?.aborted) throw outer.reason ?? e;
      throw networkFailure(method, path, this.server, asFetchError(e), abort.signal);
    } finally {
      clearTimeout(timer);
    }
    const status = res.statusCode ?? 0;
    if ((status >= 200 && status < 300) || status === 304) return res;
    outer?.removeEventListener('abort', onOuter);
    const text = await readText(res).catch(() => '');
    throw httpFailure(method, path, status, text);
  }

  private headers(extra: Record<string, string> | undefined, jsonBody: boolean): Record<string, string> {
    return {
      accept: 'application/json',
      ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      ...(jsonBody ? { 'content-type': 'application/json' } : {}),
      ...extra,
    };
  }

  private async send(path: string, o: RequestOptions): Promise<Answer> {
    const method = o.method ?? 'GET';
    const retry = o.retry ?? method === 'GET';
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
        const res = await this.exchange(method, path, o, signal);
        if ((res.status >= 200 && res.status < 300) || res.status === 304) return res;
        failure = httpFailure(method, path, res.status, res.text);
        retryAfterMs = parseRetryAfter(res.retryAfter);
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

  /** One request and its whole answer: multipart forms through fetch() (it encodes them), the rest over node:http. */
  private async exchange(method: string, path: string, o: RequestOptions, signal: AbortSignal): Promise<Answer> {
    const url = `${this.server}${path}`;
    if (o.form) {
      const res = await fetch(url, { method, signal, headers: this.headers(o.headers, false), body: o.form });
      const text = res.ok || res.status === 304 ? await res.text() : await res.text().catch(() => '');
      return { status: res.status, text, retryAfter: res.headers.get('retry-after') };
    }
    try {
      const body = o.body === undefined ? undefined : JSON.stringify(o.body);
      const res = await httpRequest(new URL(url), { method, headers: this.headers(o.headers, body !== undefined), body }, signal);
      const status = res.statusCode ?? 0;
      const text = (status >= 200 && status < 300) || status === 304 ? await readText(res) : await readText(res).catch(() => '');
      return { status, text, retryAfter: header(res, 'retry-after') };
    } catch (e) {
      throw e instanceof CliError ? e : asFetchError(e);
    }
  }
}

/** A whole answer of a JSON call. */
interface Answer {
  status: number;
  text: string;
  retryAfter: string | null;
}

/** A node:http failure shaped like fetch()'s, whose `cause` holds the system error (ECONNREFUSED, ERR_SSL_…) networkFailure reads. */
function asFetchError(e: unknown): Error {
  const err = e as Error & { code?: string };
  // node:https reports a failed handshake as EPROTO with OpenSSL's reason in the message, where
  // fetch() said ERR_SSL_WRONG_VERSION_NUMBER and the like: named the same way here.
  const ssl = err.code === 'EPROTO' ? /SSL routines:[^:]*:([a-z0-9 ]+)/i.exec(err.message) : null;
  const cause = ssl ? { code: `ERR_SSL_${ssl[1].trim().toUpperCase().replace(/ /g, '_')}`, message: err.message } : e;
  return Object.assign(new Error(err.message), { cause });
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
