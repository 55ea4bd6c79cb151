import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import {
  type LlmAnswer,
  LlmError,
  LlmInvalidAnswerError,
  type LlmProvider,
  LlmRefusedError,
  type LlmRequest,
  LlmTimeoutError,
  LlmUpstreamError,
  type LlmUsage,
} from '@aida/core';
import { answerJsonSchema, checkRequest, validateAnswer } from './answer.js';
import { errorForStatus } from './http-failure.js';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** Which request field carries the answer's token cap: `max_tokens` (Ollama, vLLM, LM Studio, gateways) or `max_completion_tokens` (OpenAI's reasoning models). */
export type TokenLimitField = 'max_tokens' | 'max_completion_tokens';

export interface OpenAiCompatibleProviderOptions {
  /** None for a server without authentication (a local Ollama): no `Authorization` header is sent. */
  apiKey?: string;
  model: string;
  /** The API root, `/chat/completions` is appended: `https://api.openai.com/v1`, `http://localhost:11434/v1`. */
  baseURL?: string;
  /** Per attempt, in ms. */
  timeoutMs: number;
  defaultMaxTokens?: number;
  tokenLimitField?: TokenLimitField;
  fetch?: typeof fetch;
}

const PROVIDER = 'openai-compatible';

/**
 * Chat completions through the official `openai` SDK against any server that speaks them.
 * The answer's schema goes out as a strict `json_schema` response format; the message content
 * is the answer as JSON text. The SDK does not retry (`maxRetries: 0`): `withRetries` does.
 */
export class OpenAiCompatibleProvider implements LlmProvider {
  readonly id = PROVIDER;
  readonly model: string;
  private readonly client: OpenAI;
  private readonly vendor: string;
  private readonly timeoutMs: number;
  private readonly defaultMaxTokens: number;
  private readonly tokenLimitField: TokenLimitField;

  constructor(o: OpenAiCompatibleProviderOptions) {
    this.model = o.model;
    this.timeoutMs = o.timeoutMs;
    this.defaultMaxTokens = o.defaultMaxTokens ?? 4096;
    this.tokenLimitField = o.tokenLimitField ?? 'max_tokens';
    const baseURL = o.baseURL ?? OPENAI_BASE_URL;
    this.vendor = `LLM server ${new URL(baseURL).host}`;
    this.client = new OpenAI({
      // The SDK insists on a key; a keyless server gets a placeholder that is never sent (below).
      apiKey: o.apiKey ?? 'none',
      // Explicit, so nothing comes from OPENAI_* variables of the host's environment.
      adminAPIKey: null,
      organization: null,
      project: null,
      baseURL,
      maxRetries: 0,
      timeout: o.timeoutMs,
      // Without a key, no Authorization header at all (a null default header removes it).
      ...(o.apiKey ? {} : { defaultHeaders: { Authorization: null } }),
      ...(o.fetch ? { fetch: o.fetch } : {}),
    });
  }

  async complete<T>(request: LlmRequest<T>, signal?: AbortSignal): Promise<LlmAnswer<T>> {
    checkRequest(request);
    let completion: OpenAI.ChatCompletion;
    try {
      completion = await this.client.chat.completions.create(
        {
          model: this.model,
          messages: [{ role: 'system', content: request.system }, ...request.messages.map((m) => ({ role: m.role, content: m.content }))],
          response_format: {
            type: 'json_schema',
            json_schema: { name: request.schemaName, schema: answerJsonSchema(request.schema), strict: true },
          },
          [this.tokenLimitField]: request.maxTokens ?? this.defaultMaxTokens,
        },
        { signal, timeout: this.timeoutMs },
      );
    } catch (e) {
      throw this.failureOf(e, signal);
    }
    const usage = usageOf(completion);
    const base = { provider: PROVIDER, usage };
    const choice = completion.choices?.[0];
    if (!choice) throw new LlmInvalidAnswerError('The answer has no choices', { ...base, reason: 'missing' });
    const { message, finish_reason } = choice;
    if (message.refusal) throw new LlmRefusedError(`The model declined to answer: ${message.refusal}`, { ...base, detail: { refusal: message.refusal } });
    if (finish_reason === 'content_filter') {
      throw new LlmRefusedError('The answer was withheld by a content filter (finish_reason content_filter)', { ...base, detail: { finish_reason } });
    }
    if (finish_reason === 'length') {
      throw new LlmInvalidAnswerError('The answer was cut off (finish_reason length); raise maxTokens or ask for less', { ...base, reason: 'truncated' });
    }
    if (typeof message.content !== 'string' || message.content.trim() === '') {
      throw new LlmInvalidAnswerError(`The answer has no content (finish_reason ${finish_reason})`, { ...base, reason: 'missing' });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(message.content);
    } catch (e) {
      throw new LlmInvalidAnswerError(`The answer is not JSON: ${(e as Error).message}`, { ...base, reason: 'malformed', cause: e });
    }
    return { value: validateAnswer(request.schema, raw, base), usage, model: completion.model };
  }

  /** The typed error for what the SDK threw. */
  private failureOf(e: unknown, signal: AbortSignal | undefined): LlmError {
    if (e instanceof LlmError) return e;
    if (e instanceof APIUserAbortError || signal?.aborted) {
      return new LlmTimeoutError(`The call to ${this.vendor} was aborted`, { provider: PROVIDER, aborted: true, cause: e });
    }
    if (e instanceof APIConnectionTimeoutError) return new LlmTimeoutError(`${this.vendor} did not answer in time`, { provider: PROVIDER, cause: e });
    if (e instanceof APIConnectionError) {
      const cause = e.cause instanceof Error ? e.cause.message : e.message;
      return new LlmUpstreamError(`The connection to ${this.vendor} failed: ${cause}`, { provider: PROVIDER, cause: e });
    }
    if (e instanceof APIError && typeof e.status === 'number') {
      // The SDK hands over the body's `error` object: `{message, type, code, param}`.
      const body = e.error as { message?: string; type?: string; code?: string } | undefined;
      return errorForStatus({
        provider: PROVIDER,
        vendor: this.vendor,
        status: e.status,
        headers: e.headers,
        errorType: body?.code ?? body?.type ?? undefined,
        message: body?.message,
        cause: e,
      });
    }
    if (e instanceof SyntaxError) {
      return new LlmInvalidAnswerError(`${this.vendor} answered something that is not JSON: ${e.message}`, {
        provider: PROVIDER,
        reason: 'malformed',
        cause: e,
      });
    }
    return new LlmUpstreamError(`The call to ${this.vendor} failed: ${e instanceof Error ? e.message : String(e)}`, {
      provider: PROVIDER,
      cause: e,
    });
  }
}

function usageOf(completion: OpenAI.ChatCompletion): LlmUsage {
  return { inputTokens: completion.usage?.prompt_tokens ?? 0, outputTokens: completion.usage?.completion_tokens ?? 0 };
}
