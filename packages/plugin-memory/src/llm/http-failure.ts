import { LlmError, LlmOverloadedError, LlmRateLimitedError, LlmTimeoutError, LlmUpstreamError } from '@aida/core';

/** Something with a `get(name)` for response headers: a fetch `Headers`. */
export interface HeaderSource {
  get(name: string): string | null;
}

/**
 * The delay a provider asked for, in ms: `retry-after-ms` (Anthropic and OpenAI send it), else
 * `retry-after` as seconds or as an HTTP date. Undefined when absent or unreadable.
 */
export function parseRetryAfter(headers: HeaderSource | undefined, now: number = Date.now()): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface HttpFailure {
  /** Provider id, for the error: `anthropic`. */
  provider: string;
  /** Who answered, for people: `Anthropic`. */
  vendor: string;
  status: number;
  headers?: HeaderSource;
  /** The error's `type` in the answer (`rate_limit_error`, `overloaded_error`, …). */
  errorType?: string;
  /** The error's message in the answer. */
  message?: string;
  cause: unknown;
}

/** The typed error for an HTTP error answer: 429 rate limited, 529 overloaded, 408 timeout, anything else upstream. */
export function errorForStatus(f: HttpFailure): LlmError {
  const o = { provider: f.provider, httpStatus: f.status, retryAfterMs: parseRetryAfter(f.headers), cause: f.cause };
  const said = `${f.status}${f.errorType ? ` ${f.errorType}` : ''}${f.message ? `: ${f.message}` : ''}`;
  if (f.status === 429) return new LlmRateLimitedError(`${f.vendor} rate limited the call (${said})`, o);
  if (f.status === 529 || f.errorType === 'overloaded_error') return new LlmOverloadedError(`${f.vendor} is overloaded (${said})`, o);
  if (f.status === 408) return new LlmTimeoutError(`${f.vendor} timed the request out (${said})`, o);
  if (f.status === 401 || f.status === 403) {
    return new LlmUpstreamError(`${f.vendor} refused the API key (${said}); check the variable llm.api_key_env names`, o);
  }
  return new LlmUpstreamError(`${f.vendor} answered ${said}`, o);
}
