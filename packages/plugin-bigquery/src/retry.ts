// The connector's one retry policy, on the repo's one retry implementation (@aida/core's
// withRetries). The official client's own retries are off, so what is retried — rate limits,
// quota refusals, 5xx, lost connections — is decided here, by the BigQueryError's `retryable`.
import { withRetries as coreWithRetries, type ExtractRequest } from '@aida/core';
import { BigQueryError } from './errors.js';

export type Logger = ExtractRequest['logger'];

export interface RetryPolicy {
  /** Retries after the first attempt. */
  max: number;
  baseDelay: number;
  maxDelay: number;
  /** A longer `Retry-After` fails instead of waiting. */
  maxRetryAfter: number;
}

/** Runs `call` until it succeeds or fails for good; the caller's `signal` aborting stops at once. */
export function withRetries<T>(what: string, call: () => Promise<T>, o: { policy: RetryPolicy; signal: AbortSignal; logger?: Logger }): Promise<T> {
  return coreWithRetries(call, {
    maxAttempts: o.policy.max + 1,
    baseDelayMs: o.policy.baseDelay,
    maxDelayMs: o.policy.maxDelay,
    maxRetryAfterMs: o.policy.maxRetryAfter,
    signal: o.signal,
    classify: (e) => (e instanceof BigQueryError ? { retryable: e.retryable, retryAfterMs: e.retryAfterMs } : { retryable: false }),
    onRetry: ({ error, attempt, delayMs }) => {
      const err = error as BigQueryError;
      o.logger?.warn({ what, attempt, delay_ms: delayMs, status: err.httpStatus, reason: err.reason }, `${err.message}; retrying in ${delayMs} ms`);
    },
    onGiveUp: (error, why) => {
      const err = error as BigQueryError;
      if (why.kind === 'retry-after-too-long') {
        return err.retold(`${err.message}; BigQuery asks to retry after ${Math.round(why.retryAfterMs / 1000)}s, longer than retries.max_retry_after`);
      }
      return why.attempts > 1 ? err.retold(`${err.message} (gave up after ${why.attempts} attempts)`) : err;
    },
  });
}

/**
 * Settles with `work`, or rejects with the signal's reason as soon as it aborts: the official
 * client takes no AbortSignal, so an aborted call is left to finish on its own, unread.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
