// The Keboola client's retry policy, on the repo's one retry implementation (@aida/core's
// withRetries): what is retryable is the KeboolaError's own `retryable`, and giving up tells why
// in the message, which names the request and never a secret.
import { backoffDelay as coreBackoffDelay, withRetries as coreWithRetries, type ExtractRequest } from '@aida/core';
import { KeboolaError } from './errors.js';

export type Logger = ExtractRequest['logger'];

// Defined with the plugin's other error codes; re-exported for the modules that import it from here.
export { KeboolaError };
export { parseRetryAfter } from '@aida/core';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  max: number;
  baseDelay: number;
  maxDelay: number;
  /** A longer `Retry-After` fails instead of waiting. */
  maxRetryAfter: number;
}

/** The backoff before retry `attempt` (0 for the first retry): base·2^attempt, capped, times 0.5–1. */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelay' | 'maxDelay'>, random = Math.random): number {
  return coreBackoffDelay(attempt + 1, { baseDelayMs: policy.baseDelay, maxDelayMs: policy.maxDelay }, random);
}

/**
 * Runs `fn` (given the retry count, 0 first) until it succeeds, retrying errors that say they
 * are retryable (429, 5xx, timeouts, network errors, truncated bodies) with backoff and jitter,
 * honouring `Retry-After`. The caller's `signal` aborting stops at once.
 */
export function withRetries<T>(
  what: string,
  fn: (attempt: number) => Promise<T>,
  o: { policy: RetryPolicy; signal: AbortSignal; logger?: Logger },
): Promise<T> {
  return coreWithRetries(
    async (attempt) => {
      try {
        return await fn(attempt - 1);
      } catch (e) {
        // Anything else that escapes a call is a Keboola failure too, not retried.
        throw e instanceof KeboolaError || o.signal.aborted ? e : new KeboolaError(`${what}: ${(e as Error).message}`);
      }
    },
    {
      maxAttempts: o.policy.max + 1,
      baseDelayMs: o.policy.baseDelay,
      maxDelayMs: o.policy.maxDelay,
      maxRetryAfterMs: o.policy.maxRetryAfter,
      signal: o.signal,
      classify: (e) => (e instanceof KeboolaError ? { retryable: e.retryable, retryAfterMs: e.retryAfterMs } : { retryable: false }),
      onRetry: ({ error, attempt, delayMs }) => {
        const err = error as KeboolaError;
        o.logger?.warn({ what, attempt, delay_ms: delayMs, status: err.httpStatus }, `${err.message}; retrying in ${delayMs} ms`);
      },
      onGiveUp: (error, why) => {
        const err = error as KeboolaError;
        if (why.kind === 'retry-after-too-long') {
          return err.retold(`${err.message}; Keboola asks to retry after ${Math.round(why.retryAfterMs / 1000)}s, longer than retries.max_retry_after`);
        }
        return why.attempts > 1 ? err.retold(`${err.message} (gave up after ${why.attempts} attempts)`) : err;
      },
    },
  );
}
