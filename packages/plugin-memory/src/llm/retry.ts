import type { LlmAnswer, LlmProvider, LlmRequest } from '@aida/core';
import { LlmError, LlmTimeoutError } from './errors.js';

export interface RetryOptions {
  /** Attempts in all, the first included (1: no retry). */
  maxAttempts: number;
  /** Backoff before the first retry; doubled for each further one. */
  baseDelayMs: number;
  /** Cap on a backoff delay. */
  maxDelayMs: number;
  /**
   * Longest `retry-after` waited for (default 60 s). A provider asking for longer fails the call
   * at once: retrying sooner than it said would only be refused again.
   */
  maxRetryAfterMs?: number;
  /** Waits `ms`; rejects when `signal` aborts. Tests pass a fake clock. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A number in [0, 1) for the jitter (default Math.random). */
  random?: () => number;
  /** Stops retrying (and waiting) once aborted. */
  signal?: AbortSignal;
  /** Told before each wait: the failure, the attempt that failed (1-based) and the delay. */
  onRetry?: (error: LlmError, attempt: number, delayMs: number) => void;
}

/** Waits `ms`, or rejects with the abort reason as soon as `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new LlmTimeoutError('The LLM call was aborted', { aborted: true, cause: signal.reason }));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new LlmTimeoutError('The LLM call was aborted', { aborted: true, cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;

/**
 * How long to wait after the failed attempt `attempt` (1-based): the provider's `retry-after`
 * when it gave one, else exponential backoff with "equal jitter" (half fixed, half random), so
 * workers that failed together do not retry together. Undefined when the provider asked for
 * longer than `maxRetryAfterMs`: the call should fail now.
 */
export function retryDelay(
  error: LlmError,
  attempt: number,
  o: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'maxRetryAfterMs' | 'random'>,
): number | undefined {
  if (error.retryAfterMs !== undefined) return error.retryAfterMs <= (o.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS) ? error.retryAfterMs : undefined;
  const backoff = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(backoff / 2 + (backoff / 2) * (o.random ?? Math.random)());
}

/**
 * Runs `call` until it succeeds, retrying only failures that may pass later (an `LlmError`
 * whose `retryable` holds: 429, 529, 5xx, lost connections, timeouts), after the provider's
 * `retry-after` or a backoff. Refusals, invalid answers, other 4xx, budget refusals, errors of
 * any other kind and a `retry-after` beyond `maxRetryAfterMs` are thrown at once; after the
 * last attempt, the last failure.
 */
export async function withRetries<T>(call: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const sleep = o.sleep ?? abortableSleep;
  const attempts = Math.max(1, Math.floor(o.maxAttempts));
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (e) {
      if (!(e instanceof LlmError) || !e.retryable || attempt >= attempts || o.signal?.aborted) throw e;
      const delay = retryDelay(e, attempt, o);
      if (delay === undefined) throw e;
      o.onRetry?.(e, attempt, delay);
      await sleep(delay, o.signal);
    }
  }
}

/** `provider` with each call run through `withRetries` (the call's own signal stops the retries). */
export function retrying(provider: LlmProvider, options: Omit<RetryOptions, 'signal'>): LlmProvider {
  return {
    id: provider.id,
    model: provider.model,
    complete<T>(request: LlmRequest<T>, signal?: AbortSignal): Promise<LlmAnswer<T>> {
      return withRetries(() => provider.complete(request, signal), { ...options, signal });
    },
  };
}
