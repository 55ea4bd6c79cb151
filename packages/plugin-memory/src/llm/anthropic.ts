import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
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

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';

export interface AnthropicProviderOptions {
  apiKey: string;
  model: string;
  /** Default `https://api.anthropic.com`; a gateway or a local fake otherwise. */
  baseURL?: string;
  /** Per attempt, in ms. */
  timeoutMs: number;
  /** `max_tokens` when a request sets none. */
  defaultMaxTokens?: number;
  /** A fetch for the SDK to use (tests, proxies). */
  fetch?: typeof fetch;
}

const PROVIDER = 'anthropic';
const VENDOR = 'Anthropic';

/**
 * The Messages API through the official SDK. The answer's schema becomes one tool the model is
 * forced to call (`tool_choice: {type: 'tool'}`); the tool call's `input` is the answer. The
 * SDK does not retry (`maxRetries: 0`): `withRetries` does, with our own rules.
 */
export class AnthropicProvider implements LlmProvider {
  readonly id = PROVIDER;
  readonly model: string;
  private readonly client: Anthropic;
  private readonly timeoutMs: number;
  private readonly defaultMaxTokens: number;

  constructor(o: AnthropicProviderOptions) {
    this.model = o.model;
    this.timeoutMs = o.timeoutMs;
    this.defaultMaxTokens = o.defaultMaxTokens ?? 4096;
    this.client = new Anthropic({
      apiKey: o.apiKey,
      baseURL: o.baseURL ?? ANTHROPIC_BASE_URL,
      maxRetries: 0,
      timeout: o.timeoutMs,
      ...(o.fetch ? { fetch: o.fetch } : {}),
    });
  }

  async complete<T>(request: LlmRequest<T>, signal?: AbortSignal): Promise<LlmAnswer<T>> {
    checkRequest(request);
    const name = request.schemaName;
    let message: Anthropic.Message;
    try {
      message = await this.client.messages.create(
        {
          model: this.model,
          max_tokens: request.maxTokens ?? this.defaultMaxTokens,
          system: request.system,
          messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
          tools: [
            {
              name,
              description: `Record the answer as ${name}. Call this tool exactly once with the whole answer.`,
              input_schema: answerJsonSchema(request.schema) as Anthropic.Tool.InputSchema,
            },
          ],
          tool_choice: { type: 'tool', name },
        },
        { signal, timeout: this.timeoutMs },
      );
    } catch (e) {
      throw failureOf(e, signal);
    }
    const usage = usageOf(message);
    const base = { provider: PROVIDER, usage };
    if (message.stop_reason === 'refusal') {
      const category = message.stop_details?.category;
      throw new LlmRefusedError(`The model declined to answer${category ? ` (${category})` : ''}`, { ...base, detail: { stop_reason: 'refusal', category } });
    }
    if (message.stop_reason === 'max_tokens' || message.stop_reason === 'model_context_window_exceeded') {
      throw new LlmInvalidAnswerError(`The answer was cut off (stop_reason ${message.stop_reason}); raise maxTokens or ask for less`, {
        ...base,
        reason: 'truncated',
      });
    }
    const call = message.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use' && b.name === name);
    if (!call) {
      throw new LlmInvalidAnswerError(`The model did not call the ${name} tool (stop_reason ${message.stop_reason})`, { ...base, reason: 'missing' });
    }
    return { value: validateAnswer(request.schema, call.input, base), usage, model: message.model };
  }
}

/** Input tokens as billed: uncached, written to the cache and read from it. */
function usageOf(message: Anthropic.Message): LlmUsage {
  const u = message.usage;
  return {
    inputTokens: (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0),
    outputTokens: u.output_tokens ?? 0,
  };
}

/** The typed error for what the SDK threw. */
function failureOf(e: unknown, signal: AbortSignal | undefined): LlmError {
  if (e instanceof LlmError) return e;
  if (e instanceof APIUserAbortError || signal?.aborted) {
    return new LlmTimeoutError('The Anthropic call was aborted', { provider: PROVIDER, aborted: true, cause: e });
  }
  if (e instanceof APIConnectionTimeoutError) return new LlmTimeoutError('Anthropic did not answer in time', { provider: PROVIDER, cause: e });
  if (e instanceof APIConnectionError) {
    return new LlmUpstreamError(`The connection to Anthropic failed: ${causeText(e)}`, { provider: PROVIDER, cause: e });
  }
  if (e instanceof APIError && typeof e.status === 'number') {
    const body = e.error as { error?: { type?: string; message?: string } } | undefined;
    return errorForStatus({
      provider: PROVIDER,
      vendor: VENDOR,
      status: e.status,
      headers: e.headers,
      errorType: body?.error?.type,
      message: body?.error?.message,
      cause: e,
    });
  }
  if (e instanceof SyntaxError) {
    // The SDK parses the body itself; a body that is not JSON surfaces here.
    return new LlmInvalidAnswerError(`Anthropic's answer is not JSON: ${e.message}`, { provider: PROVIDER, reason: 'malformed', cause: e });
  }
  return new LlmUpstreamError(`The Anthropic call failed: ${e instanceof Error ? e.message : String(e)}`, { provider: PROVIDER, cause: e });
}

function causeText(e: Error): string {
  const cause = e.cause;
  return cause instanceof Error ? cause.message : e.message;
}
