import { redactText, type RetryDecision } from '@aida/core';
import { GrammyError, HttpError } from 'grammy';

/**
 * What a failed Bot API call means for the caller: retry it (429 after `retry_after`, 5xx and
 * lost connections after a backoff), give the chat up (403: the user blocked the bot or
 * deleted their account), or neither (a bad request).
 */
export function classifyTelegramFailure(e: unknown): RetryDecision {
  if (e instanceof GrammyError) {
    if (e.error_code === 429) {
      const seconds = e.parameters.retry_after;
      return { retryable: true, ...(typeof seconds === 'number' && seconds >= 0 ? { retryAfterMs: Math.ceil(seconds * 1000) } : {}) };
    }
    return { retryable: e.error_code >= 500 };
  }
  // Network failures, timeouts, a body that is not JSON (a proxy's 502 page).
  return { retryable: e instanceof HttpError };
}

/** Telegram will not deliver to this chat again until the user acts (blocked the bot, left, deleted their account). */
export function isChatGone(e: unknown): e is GrammyError {
  return e instanceof GrammyError && e.error_code === 403;
}

/**
 * A failure in words safe to log and store: Telegram's own description for an API error,
 * and never the bot token (it is part of every request URL, which network errors quote).
 */
export function describeTelegramFailure(e: unknown, token: string): string {
  let text: string;
  if (e instanceof GrammyError) text = `Telegram answered ${e.error_code} to ${e.method}: ${e.description}`;
  else if (e instanceof HttpError) {
    const cause = e.error instanceof Error ? e.error.message : String(e.error);
    text = `${e.message} ${cause}`;
  } else text = e instanceof Error ? e.message : String(e);
  return redactText(text, [token]);
}
