import { setTimeout as sleep } from 'node:timers/promises';
import type { ExtractRequest } from '@aida/core';
import { KeboolaError } from './errors.js';

export type Logger = ExtractRequest['logger'];

// Defined with the plugin's other error codes; re-exported for the modules that import it from here.
export { KeboolaError };

export interface RetryPolicy {
  /** Retries after the first attempt. */
  max: number;
  baseDelay: number;
  maxDelay: number;
  /** A longer `Retry-After` fails instead of waiting. */
  maxRetryAfter: number;
}

/** `Retry-After` as ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Exponential backoff with full jitter in the upper half: base·2^attempt, capped, times 0.5–1. */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelay' | 'maxDelay'>, random = Math.random): number {
  const capped = Math.min(policy.maxDelay, policy.baseDelay * 2 ** attempt);
  return Math.round(capped * (0.5 + random() * 0.5));
}

/**
 * Runs `fn` until it succeeds, retrying errors that say they are retryable (429, 5xx, timeouts,
 * network errors, truncated bodies) with backoff and jitter, honouring `Retry-After`. The
 * caller's `signal` aborting stops at once.
 */
export async function withRetries<T>(
  what: string,
  fn: (attempt: number) => Promise<T>,
  o: { policy: RetryPolicy; signal: AbortSignal; logger?: Logger },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    o.signal.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (e) {
      if (o.signal.aborted) throw o.signal.reason ?? e;
      const err = e instanceof KeboolaError ? e : new KeboolaError(`${what}: ${(e as Error).message}`);
      if (!err.retryable || attempt >= o.policy.max) {
        if (err.retryable && attempt > 0) throw err.retold(`${err.message} (gave up after ${attempt + 1} attempts)`);
        throw err;
      }
      if (err.retryAfterMs !== undefined && err.retryAfterMs > o.policy.maxRetryAfter) {
        throw err.retold(`${err.message}; Keboola asks to retry after ${Math.round(err.retryAfterMs / 1000)}s, longer than retries.max_retry_after`);
      }
      // Retry-After is a floor the server set; a little jitter keeps parallel slices from retrying in lockstep.
      const delay =
        err.retryAfterMs !== undefined ? err.retryAfterMs + Math.round(Math.random() * Math.min(250, o.policy.baseDelay)) : backoffDelay(attempt, o.policy);
      o.logger?.warn({ what, attempt: attempt + 1, delay_ms: delay, status: err.httpStatus }, `${err.message}; retrying in ${delay} ms`);
      await sleep(delay, undefined, { signal: o.signal });
    }
  }
}
