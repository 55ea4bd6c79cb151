/**
 * The LLM errors: every failure a provider, a retry loop or a run's budget reports, each code
 * defined once, whichever plugin ships the provider. They implement the `LlmFailure` contract
 * (contracts/llm.ts), so a caller can branch on `llmFailure` and `retryable` without knowing the
 * provider. Each code is documented in docs/errors.md.
 */
import type { LlmFailure, LlmFailureKind, LlmUsage } from '../contracts/llm.js';
import { defineError, type AidaErrorOptions } from './define.js';

export interface LlmErrorOptions extends AidaErrorOptions {
  /** The provider that failed: `anthropic`, `openai-compatible`. */
  provider?: string;
  /** HTTP status of the provider's answer, when there was one. */
  httpStatus?: number;
  /** Delay the provider asked for (`retry-after`), in ms. */
  retryAfterMs?: number;
  /** Tokens the failed call still consumed. */
  usage?: LlmUsage;
}

/** A failure of an LLM call; the subclasses below say which. */
export class LlmError extends defineError('LLM_ERROR', 502, 'The LLM provider failed') implements LlmFailure {
  readonly provider: string | undefined;
  readonly httpStatus: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly usage: LlmUsage | undefined;

  constructor(message?: string, o: LlmErrorOptions = {}) {
    super(message, { detail: o.detail, cause: o.cause });
    this.provider = o.provider;
    this.httpStatus = o.httpStatus;
    this.retryAfterMs = o.retryAfterMs;
    this.usage = o.usage;
  }

  get llmFailure(): LlmFailureKind {
    return 'upstream';
  }

  /** Whether the same call may succeed later; a retry loop retries only these. */
  get retryable(): boolean {
    return false;
  }
}

/** The provider answered 429; `retryAfterMs` when it said how long to wait. */
export class LlmRateLimitedError extends defineError('LLM_RATE_LIMITED', 503, 'The LLM provider is rate limiting AIDA', LlmError) {
  override get llmFailure(): LlmFailureKind {
    return 'rate_limited';
  }
  override get retryable(): boolean {
    return true;
  }
}

/** The provider is overloaded (Anthropic's 529 `overloaded_error`). */
export class LlmOverloadedError extends defineError('LLM_OVERLOADED', 503, 'The LLM provider is overloaded', LlmError) {
  override get llmFailure(): LlmFailureKind {
    return 'overloaded';
  }
  override get retryable(): boolean {
    return true;
  }
}

export interface LlmTimeoutOptions extends LlmErrorOptions {
  /** The caller's signal aborted the call (not retried), rather than the provider being too slow. */
  aborted?: boolean;
}

/** No answer within the timeout, or the call was aborted. */
export class LlmTimeoutError extends defineError('LLM_TIMEOUT', 504, 'The LLM provider did not answer in time', LlmError) {
  readonly aborted: boolean;
  constructor(message?: string, o: LlmTimeoutOptions = {}) {
    super(message, o);
    this.aborted = o.aborted ?? false;
  }
  override get llmFailure(): LlmFailureKind {
    return 'timeout';
  }
  override get retryable(): boolean {
    return !this.aborted;
  }
}

/** The model declined to answer (Anthropic `stop_reason: refusal`, OpenAI `refusal` or `content_filter`); never retried. */
export class LlmRefusedError extends defineError('LLM_REFUSED', 502, 'The model declined to answer', LlmError) {
  override get llmFailure(): LlmFailureKind {
    return 'refused';
  }
}

/** Why an answer was unusable. */
export type InvalidAnswerReason = 'malformed' | 'truncated' | 'missing' | 'schema';

/** One way the answer fails the request's schema: the dotted path in the answer and what is wrong. */
export interface AnswerIssue {
  path: string;
  message: string;
}

export interface LlmInvalidAnswerOptions extends LlmErrorOptions {
  reason: InvalidAnswerReason;
  /** The schema's complaints, for `reason: 'schema'`. */
  issues?: readonly AnswerIssue[];
}

/**
 * The answer is unusable: not JSON (`malformed`), cut off at the token limit (`truncated`),
 * without the requested JSON (`missing`), or failing the schema (`schema`, with its issues).
 * Not retried by a retry loop: the caller decides whether to ask again.
 */
export class LlmInvalidAnswerError extends defineError('LLM_INVALID_ANSWER', 502, 'The model answered something AIDA cannot use', LlmError) {
  readonly reason: InvalidAnswerReason;
  readonly issues: readonly AnswerIssue[];
  constructor(message: string | undefined, o: LlmInvalidAnswerOptions) {
    const issues = o.issues ?? [];
    super(message, { ...o, detail: o.detail ?? { reason: o.reason, issues } });
    this.reason = o.reason;
    this.issues = issues;
  }
  override get llmFailure(): LlmFailureKind {
    return 'invalid_answer';
  }
}

/**
 * Any other failure of the provider: an HTTP error status (`httpStatus`), a lost connection
 * (no status). Retryable for 5xx, 408 and lost connections; never for other 4xx (a bad key, a
 * request the provider rejects).
 */
export class LlmUpstreamError extends defineError('LLM_UPSTREAM_ERROR', 502, 'The LLM provider answered with an error', LlmError) {
  override get retryable(): boolean {
    const s = this.httpStatus;
    return s === undefined || s === 408 || s >= 500;
  }
}

export interface LlmBudgetOptions extends LlmErrorOptions {
  /** Which cap is spent. */
  limit: 'calls' | 'tokens';
}

/** A run's cap on calls or tokens is spent; the call was not made. */
export class LlmBudgetExhaustedError extends defineError('LLM_BUDGET_EXHAUSTED', 503, "This run's LLM budget is spent", LlmError) {
  readonly limit: 'calls' | 'tokens';
  constructor(message: string | undefined, o: LlmBudgetOptions) {
    super(message, { ...o, detail: o.detail ?? { limit: o.limit } });
    this.limit = o.limit;
  }
  override get llmFailure(): LlmFailureKind {
    return 'budget_exhausted';
  }
}
