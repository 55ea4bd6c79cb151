// HTTP plumbing shared by the Storage API calls and the downloads: the user agent, a plain GET
// of a signed or storage URL, and how a failed answer or a broken transfer becomes a
// KeboolaError — classified retryable or not, and never carrying a secret or a URL's query.
import { Readable } from 'node:stream';
import { KeboolaHttpError, KeboolaNotFoundError, KeboolaTransportError, KeboolaUnauthorizedError } from './errors.js';
import { KeboolaError, parseRetryAfter } from './retry.js';

export const USER_AGENT = 'aida-plugin-keboola/0.1';

/** GET of a signed or storage URL (never with the Storage API token); a non-2xx answer throws. */
export async function openUrl(url: string, headers: Record<string, string>, signal: AbortSignal, redact: (text: string) => string): Promise<Readable> {
  const res = await fetch(url, { headers: { 'user-agent': USER_AGENT, ...headers }, signal });
  if (!res.ok || !res.body) {
    const text = await res.text().catch(() => '');
    const where = redact(url.replace(/\?.*$/, ''));
    throw httpError(`GET ${where}`, res.status, res.headers.get('retry-after'), text, redact);
  }
  return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
}

/** A non-2xx answer: the error code and message of a JSON or S3-style XML body; 429 and 5xx are retryable. */
export function httpError(what: string, status: number, retryAfter: string | null, text: string, redact: (text: string) => string): KeboolaError {
  let detail = text.trim();
  try {
    const j = JSON.parse(text) as { error?: string; message?: string; code?: string };
    detail = [j.code, j.error ?? j.message].filter(Boolean).join(': ') || detail;
  } catch {
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
    const msg = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
    if (code || msg) detail = [code, msg].filter(Boolean).join(': ');
  }
  const retryable = status === 429 || status >= 500;
  const hint = status === 401 ? ' (check the Storage API token the config names in token_env)' : '';
  return new (status === 401 ? KeboolaUnauthorizedError : status === 404 ? KeboolaNotFoundError : KeboolaHttpError)(
    redact(`${what} answered ${status}${detail ? `: ${detail.slice(0, 300)}` : ''}${hint}`),
    {
      httpStatus: status,
      retryable,
      retryAfterMs: retryable ? parseRetryAfter(retryAfter) : undefined,
    },
  );
}

/** Timeouts, resets, truncated gzip: retryable, described without the URL's query or any secret. */
export function transportError(what: string, e: unknown, callerSignal: AbortSignal, timeoutMs: number, redact: (text: string) => string): unknown {
  if (callerSignal.aborted) return callerSignal.reason ?? e;
  if (e instanceof KeboolaError) return e;
  const err = e as Error & { code?: string; cause?: { code?: string; message?: string } };
  const name = err?.name ?? '';
  let why: string;
  if (name === 'TimeoutError' || err?.cause?.code === 'UND_ERR_HEADERS_TIMEOUT' || (name === 'AbortError' && /timeout/i.test(String(err.cause ?? '')))) {
    why = `timed out after ${timeoutMs} ms`;
  } else if (
    err?.code === 'Z_BUF_ERROR' ||
    err?.code === 'Z_DATA_ERROR' ||
    /unexpected end of file|incorrect header check|invalid (block|stored|distance)/i.test(err?.message ?? '')
  ) {
    why = `truncated or corrupt gzip data (${err.message})`;
  } else {
    const cause = err?.cause?.code ?? err?.cause?.message ?? err?.code;
    why = `${err?.message ?? String(e)}${cause && !String(err?.message).includes(cause) ? ` (${cause})` : ''}`;
  }
  return new KeboolaTransportError(redact(`${what}: ${why}`), { retryable: true });
}

/**
 * Runs `fn` with a signal that aborts when any of `signals` does, or after `ms` with a
 * TimeoutError. A plain timer, cleared when `fn` settles, instead of `AbortSignal.timeout`
 * inside `AbortSignal.any`: Node 20 holds the sources of `any` weakly, so an otherwise
 * unreferenced timeout signal can be garbage-collected and never fire.
 */
export async function timeBounded<T>(signals: AbortSignal[], ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')), ms);
  try {
    return await fn(AbortSignal.any([...signals, deadline.signal]));
  } finally {
    clearTimeout(timer);
  }
}
