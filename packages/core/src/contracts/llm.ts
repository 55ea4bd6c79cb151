import type { z } from 'zod';

/**
 * A language model behind one call: a system prompt and messages in, one JSON answer out,
 * validated against a zod schema. Providers (Anthropic, OpenAI-compatible servers, …) live in
 * plugins; this contract names no SDK type, so a caller never depends on one vendor.
 */

/** `schemaName` must match this: what both the Anthropic tool names and OpenAI's `json_schema.name` accept. */
export const LLM_SCHEMA_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

export interface LlmMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface LlmRequest<T> {
  system: string;
  messages: LlmMessage[];
  /**
   * The answer's shape. An object schema: its JSON schema is sent to the model (as a forced
   * tool's input or a strict `json_schema` response format) and the answer is parsed with it.
   */
  schema: z.ZodType<T>;
  /** Names the schema for the model (`^[a-zA-Z0-9_-]{1,64}$`), e.g. `knowledge_items`. */
  schemaName: string;
  /** Cap on the answer's tokens; the provider's default when absent. */
  maxTokens?: number;
}

/** Tokens a call consumed, as the provider billed them (prompt caching included in `inputTokens`). */
export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface LlmAnswer<T> {
  /** The answer, parsed and validated by the request's schema. */
  value: T;
  usage: LlmUsage;
  /** The model that answered, as the provider reports it. */
  model: string;
}

export interface LlmProvider {
  /** The provider kind: `anthropic`, `openai-compatible`, … */
  readonly id: string;
  /** The model asked for. */
  readonly model: string;
  /**
   * One call. Rejects with one of core's LLM errors (errors/llm.ts: `LlmRateLimitedError`,
   * `LlmTimeoutError`, …), each an `LlmFailure`; `signal` aborts it.
   */
  complete<T>(request: LlmRequest<T>, signal?: AbortSignal): Promise<LlmAnswer<T>>;
}

/**
 * Why a call failed:
 * - `rate_limited`: the provider answered 429 (`retryAfterMs` when it said how long to wait);
 * - `overloaded`: the provider is overloaded (Anthropic's 529);
 * - `timeout`: no answer in time, or the call was aborted;
 * - `refused`: the model declined to answer (a refusal, a content filter);
 * - `invalid_answer`: the answer is not JSON, was cut off at the token limit, or fails the schema;
 * - `upstream`: any other failure of the provider (an HTTP status, a lost connection);
 * - `budget_exhausted`: the run's cap on calls or tokens is spent; nothing was sent.
 */
export type LlmFailureKind = 'rate_limited' | 'overloaded' | 'timeout' | 'refused' | 'invalid_answer' | 'upstream' | 'budget_exhausted';

/** What every error a provider rejects with tells; core's `LlmError` and its subclasses implement it. */
export interface LlmFailure extends Error {
  readonly code: string;
  readonly llmFailure: LlmFailureKind;
  /** Whether the same call may succeed later (rate limits, overload, 5xx, timeouts); never for refusals or invalid answers. */
  readonly retryable: boolean;
  /** How long the provider asked the caller to wait, in ms. */
  readonly retryAfterMs: number | undefined;
  /** Tokens the failed call still consumed (an invalid or refused answer is billed). */
  readonly usage: LlmUsage | undefined;
}
