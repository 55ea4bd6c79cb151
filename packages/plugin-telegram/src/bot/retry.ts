import { withRetries, type RetryDecision } from '@aida/core';
import { HttpError, type Transformer } from 'grammy';

/** Attempts per Bot API call, the first included. */
const MAX_ATTEMPTS = 4;
/** Longest `retry_after` waited for; a longer one fails the call (the hub gives a channel 60 s in all). */
const MAX_RETRY_AFTER_MS = 30_000;
const BACKOFF = { baseDelayMs: 500, maxDelayMs: 5_000 };

/** An error answer worth another try, carried through withRetries and handed back to grammY as it came. */
class RetryableAnswer extends Error {
  constructor(readonly answer: { ok: false; error_code: number; description: string; parameters?: { retry_after?: number } }) {
    super(answer.description);
  }
}

function classify(e: unknown): RetryDecision {
  if (e instanceof RetryableAnswer) {
    const seconds = e.answer.parameters?.retry_after;
    return { retryable: true, ...(e.answer.error_code === 429 && typeof seconds === 'number' ? { retryAfterMs: Math.ceil(seconds * 1000) } : {}) };
  }
  return { retryable: e instanceof HttpError };
}

/**
 * A grammY API transformer retrying every call but getUpdates (the poll loop has its own
 * backoff): 429 after Telegram's `retry_after`, 5xx and lost connections after a backoff, with
 * core's `withRetries`. `stopping` ends the waiting when the host stops.
 */
export function retryingCalls(stopping: AbortSignal): Transformer {
  return async (prev, method, payload, signal) => {
    if (method === 'getUpdates') return prev(method, payload, signal);
    try {
      return await withRetries(
        async () => {
          const answer = await prev(method, payload, signal);
          if (!answer.ok && (answer.error_code === 429 || answer.error_code >= 500)) throw new RetryableAnswer(answer);
          return answer;
        },
        {
          ...BACKOFF,
          maxAttempts: MAX_ATTEMPTS,
          maxRetryAfterMs: MAX_RETRY_AFTER_MS,
          classify,
          signal: signal instanceof AbortSignal ? AbortSignal.any([stopping, signal]) : stopping,
        },
      );
    } catch (e) {
      // Given up: grammY turns the last answer into its GrammyError, as without retries.
      if (e instanceof RetryableAnswer) return e.answer as never;
      throw e;
    }
  };
}
