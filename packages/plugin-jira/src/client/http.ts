// The HTTP plumbing of the Jira client: Basic auth to the site and nowhere else, a deadline per
// request, retries through @aida/core's withRetries (429 after its Retry-After, 5xx, timeouts and
// lost connections with backoff), and every failed answer turned into a JiraError that names the
// method, path and status and never carries the token or the Authorization header.
import { parseRetryAfter, redactText, withRetries } from '@aida/core';
import type { Logger } from 'pino';
import {
  JiraApiRemovedError,
  JiraError,
  JiraForbiddenError,
  JiraHttpError,
  JiraMalformedResponseError,
  JiraRateLimitedError,
  JiraTransportError,
  JiraUnauthorizedError,
} from '../errors.js';

export const USER_AGENT = 'aida-plugin-jira/0.1 (+https://github.com/keboola/aida)';

export interface JiraRetryPolicy {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A longer `Retry-After` fails the request instead of waiting. */
  maxRetryAfterMs: number;
}

export interface JiraClientOptions {
  /** The site's origin, e.g. https://acme.atlassian.net (a trailing slash is ignored). */
  siteUrl: string;
  /** The Jira user the API token belongs to. */
  email: string;
  apiToken: string;
  /** One request: until its whole body is read (for an attachment: its headers, then each chunk). */
  timeoutMs: number;
  retries: JiraRetryPolicy;
  logger: Logger;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
}

export interface JsonRequest {
  query?: Record<string, string | number>;
  /** Sent as JSON (POST). */
  body?: unknown;
  signal: AbortSignal;
}

/** How much of an error body a message quotes. */
const EXCERPT_CHARS = 300;

export class JiraHttp {
  readonly site: URL;
  readonly logger: Logger;
  readonly timeoutMs: number;
  readonly fetch: typeof fetch;
  private readonly authorization: string;
  private readonly secrets: string[];
  private readonly retries: JiraRetryPolicy;

  constructor(o: JiraClientOptions) {
    this.site = new URL(o.siteUrl);
    this.logger = o.logger;
    this.timeoutMs = o.timeoutMs;
    this.retries = o.retries;
    this.fetch = o.fetch ?? globalThis.fetch;
    const basic = Buffer.from(`${o.email}:${o.apiToken}`).toString('base64');
    this.authorization = `Basic ${basic}`;
    // Whatever turns up in a message (an echoed header, a body quoting the request) is masked.
    this.secrets = [`${o.email}:${o.apiToken}`, basic, o.apiToken];
  }

  /** The headers of a request to the site itself; never sent anywhere else. */
  siteHeaders(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: this.authorization, accept: 'application/json', 'user-agent': USER_AGENT, ...extra };
  }

  redact(text: string): string {
    return redactText(text, this.secrets);
  }

  /**
   * A JSON request to the site, retried; its parsed body. With `notFound: 'null'`, a 404 answers
   * null instead of throwing.
   */
  async json(method: 'GET' | 'POST', path: string, r: JsonRequest & { notFound?: 'null' | 'throw' }): Promise<unknown> {
    const url = new URL(path, this.site);
    for (const [k, v] of Object.entries(r.query ?? {})) url.searchParams.set(k, String(v));
    return this.retrying(method, path, r.signal, () =>
      this.bounded(r.signal, async (signal) => {
        let res: Response;
        let text: string;
        try {
          res = await this.fetch(url, {
            method,
            headers: this.siteHeaders(r.body === undefined ? {} : { 'content-type': 'application/json' }),
            body: r.body === undefined ? undefined : JSON.stringify(r.body),
            // A redirect of an API call is not followed: it would take the Authorization header along.
            redirect: 'manual',
            signal,
          });
          text = await res.text();
        } catch (e) {
          throw this.transportError(method, path, e, signal);
        }
        if (res.status === 404 && r.notFound === 'null') return null;
        if (res.status < 200 || res.status >= 300) throw this.httpError(method, path, res, text);
        if (!text.trim()) return null;
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw new JiraMalformedResponseError(`${method} ${path} answered ${res.status} with a body that is not JSON: ${this.excerpt(text)}`, {
            method,
            path,
            httpStatus: res.status,
          });
        }
      }),
    );
  }

  /** Runs `call` with @aida/core's retries: what a JiraError calls retryable, after Retry-After or a backoff. */
  retrying<T>(method: string, path: string, signal: AbortSignal, call: () => Promise<T>): Promise<T> {
    return withRetries(call, {
      ...this.retries,
      signal,
      classify: (e) => (e instanceof JiraError ? { retryable: e.retryable, retryAfterMs: e.retryAfterMs } : { retryable: false }),
      onRetry: ({ error, attempt, delayMs }) => {
        const status = error instanceof JiraError ? error.httpStatus : undefined;
        this.logger.warn({ method, path, attempt, delay_ms: delayMs, status }, `${(error as Error).message}; retrying in ${delayMs} ms`);
      },
      onGiveUp: (error, why) => {
        if (!(error instanceof JiraError)) return error;
        if (why.kind === 'retry-after-too-long') {
          return error.retold(`${error.message}; Jira asks to retry after ${Math.round(why.retryAfterMs / 1000)} s, longer than retries.max_retry_after`);
        }
        return why.attempts > 1 ? error.retold(`${error.message} (gave up after ${why.attempts} attempts)`) : error;
      },
    });
  }

  /**
   * Runs `fn` with a signal that aborts when the caller's does or after `timeoutMs`. A plain
   * timer rather than AbortSignal.timeout inside AbortSignal.any: Node 20 holds the sources of
   * `any` weakly, so an unreferenced timeout signal can be collected and never fire.
   */
  async bounded<T>(caller: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException(`timed out after ${this.timeoutMs} ms`, 'TimeoutError')), this.timeoutMs);
    try {
      return await fn(AbortSignal.any([caller, deadline.signal]));
    } finally {
      clearTimeout(timer);
    }
  }

  /** A non-2xx answer as the JiraError its status calls for; 429 and 5xx are retryable. */
  httpError(method: string, path: string, res: Response, text: string): JiraError {
    const status = res.status;
    const said = this.excerpt(text);
    const base = `${method} ${path} answered ${status}${said ? `: ${said}` : ''}`;
    const o = { method, path, httpStatus: status };
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    if (status === 401) return new JiraUnauthorizedError(`${base} (check the email and API token the config names in email_env and token_env)`, o);
    if (status === 403) return new JiraForbiddenError(`${base} (the Jira API user lacks a permission, e.g. Browse projects)`, o);
    if (status === 410) return new JiraApiRemovedError(`${base} (Atlassian removed this endpoint; upgrade @aida/plugin-jira)`, o);
    if (status === 429) return new JiraRateLimitedError(base, { ...o, retryable: true, retryAfterMs });
    if (status >= 300 && status < 400) {
      const to = res.headers.get('location');
      return new JiraHttpError(`${base} (a redirect${to ? ` to ${this.where(to)}` : ''}, not followed for an API call)`, o);
    }
    return new JiraHttpError(base, { ...o, retryable: status >= 500, retryAfterMs: status >= 500 ? retryAfterMs : undefined });
  }

  /** A timeout, reset or refused connection: retryable. The caller's own abort passes through. */
  transportError(method: string, path: string, e: unknown, signal: AbortSignal): unknown {
    if (e instanceof JiraError) return e;
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (signal.aborted && signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError') {
      return new JiraTransportError(`${method} ${path}: no answer within ${this.timeoutMs} ms`, { method, path, retryable: true, cause: e });
    }
    if (signal.aborted) return signal.reason ?? e;
    const why = err.cause?.code ?? err.cause?.message ?? err.message;
    return new JiraTransportError(this.redact(`${method} ${path}: ${why}`), { method, path, retryable: true });
  }

  /** Jira's error collection (`errorMessages`, `errors`) as one line, or the start of any other body; masked. */
  excerpt(text: string): string {
    let said = text.trim();
    try {
      const j = JSON.parse(text) as { errorMessages?: unknown; errors?: unknown; message?: unknown };
      const messages = [
        ...(Array.isArray(j.errorMessages) ? j.errorMessages : []),
        ...(j.errors && typeof j.errors === 'object' ? Object.entries(j.errors).map(([k, v]) => `${k}: ${String(v)}`) : []),
        ...(typeof j.message === 'string' ? [j.message] : []),
      ];
      if (messages.length) said = messages.map(String).join('; ');
    } catch {
      // not JSON: quote the text itself
    }
    said = said.replace(/\s+/g, ' ');
    return this.redact(said.length > EXCERPT_CHARS ? `${said.slice(0, EXCERPT_CHARS)}…` : said);
  }

  /** A URL for a message: its origin and path, never its query (media URLs carry signed tokens). */
  where(url: string): string {
    try {
      const u = new URL(url, this.site);
      return this.redact(`${u.origin}${u.pathname}`);
    } catch {
      return '(an unreadable URL)';
    }
  }
}
