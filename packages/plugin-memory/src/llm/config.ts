import { StartupError, validateConfig, zDuration, zSecretEnv, type EnvSource, type LlmProvider, type RetryOptions, type SecretSink } from '@aida/core';
import { z } from 'zod';
import { AnthropicProvider } from './anthropic.js';
import { LlmBudget } from './budget.js';
import { OfflineExtractor } from './offline.js';
import { OpenAiCompatibleProvider } from './openai-compatible.js';
import { retrying } from './retry.js';

export const LLM_PROVIDERS = ['anthropic', 'openai-compatible', 'offline'] as const;
export type LlmProviderKind = (typeof LLM_PROVIDERS)[number];

/** The model the anthropic provider asks for when the config names none. */
export const ANTHROPIC_DEFAULT_MODEL = 'claude-haiku-4-5';

const httpUrl = z
  .string()
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password && !u.search && !u.hash;
    } catch {
      return false;
    }
  }, 'base_url must be an absolute http(s) URL without credentials, ?query or #fragment')
  .transform((v) => v.replace(/\/+$/, ''));

/**
 * The `llm:` slice of corporate memory's config. Without one, extraction is `offline` (no
 * network). `api_key_env` names the variable holding the key; once validated it holds the key,
 * which the host masks in every log line and error.
 */
export const llmConfigSchema = z
  .strictObject({
    provider: z.enum(LLM_PROVIDERS).default('offline'),
    /** In the YAML, the name of the environment variable with the API key (`ANTHROPIC_API_KEY`); once validated, the key. */
    api_key_env: zSecretEnv({ example: 'ANTHROPIC_API_KEY', holds: 'the API key of the LLM provider' }).optional(),
    /** The model: `claude-haiku-4-5` by default for anthropic; required for openai-compatible (`gpt-4.1-mini`, `llama3.1:8b`). */
    model: z.string().trim().min(1, 'must name a model').optional(),
    /** The API root: `https://api.anthropic.com`, `https://api.openai.com/v1`, `http://localhost:11434/v1` (Ollama). */
    base_url: httpUrl.optional(),
    /** One attempt of one call, until the answer arrives. At most 5m: Node's fetch gives up on response headers after that anyway. */
    timeout: zDuration({ min: '1s', max: '5m' }).prefault('120s'),
    /** Retries after the first attempt, for 429, 529, 5xx, lost connections and timeouts. */
    max_retries: z.number().int().min(0).max(10).default(3),
    /** Calls one extraction run may make; the rest of the notes wait for the next run. */
    max_calls_per_run: z.number().int().min(1).default(200),
    /** Input plus output tokens one extraction run may consume. */
    max_tokens_per_run: z.number().int().min(1).default(2_000_000),
    /** openai-compatible only: the request field of the answer's token cap (OpenAI's reasoning models want max_completion_tokens). */
    max_tokens_field: z.enum(['max_tokens', 'max_completion_tokens']).default('max_tokens'),
  })
  .superRefine((c, ctx) => {
    if (c.provider === 'anthropic' && c.api_key_env === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['api_key_env'],
        message: 'the anthropic provider needs api_key_env: the name of the environment variable that holds the API key, e.g. ANTHROPIC_API_KEY',
      });
    }
    if (c.provider === 'openai-compatible' && c.model === undefined) {
      ctx.addIssue({ code: 'custom', path: ['model'], message: 'the openai-compatible provider needs a model, e.g. gpt-4.1-mini or llama3.1:8b' });
    }
    if (c.provider === 'offline') {
      for (const key of ['api_key_env', 'model', 'base_url'] as const) {
        if (c[key] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [key], message: `${key} is only used with provider: anthropic or openai-compatible (the provider is offline)` });
        }
      }
    }
  });

export type LlmConfig = z.output<typeof llmConfigSchema>;

/**
 * Validates an `llm:` slice against `env` (default: process.env), outside the host (scripts,
 * benchmarks, tests). Every problem is reported at once, e.g. `llm.api_key_env: environment
 * variable ANTHROPIC_API_KEY is not set`; the host itself validates the plugin's whole config.
 */
export function parseLlmConfig(raw: unknown, env: EnvSource = process.env, secrets?: SecretSink): LlmConfig {
  const result = validateConfig(llmConfigSchema, raw, 'llm', { env, secrets });
  if (!result.ok)
    throw new StartupError(`Invalid LLM config: ${result.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { detail: { issues: result.issues } });
  return result.value;
}

/** What extraction runs on: a model behind the provider contract, or the offline extractor. */
export type ExtractionBackend = { kind: 'llm'; provider: LlmProvider } | { kind: 'offline'; extractor: OfflineExtractor };

export interface CreateProviderOptions {
  /** Overrides of the retry timing (tests make it fast); attempts come from `max_retries`. */
  retry?: Partial<Omit<RetryOptions, 'maxAttempts' | 'signal' | 'classify'>>;
  /** A fetch for the SDK (tests, proxies). */
  fetch?: typeof fetch;
}

/**
 * The backend a validated config asks for. A model's calls are retried (`max_retries` after the
 * first attempt; a `retry-after` beyond a minute fails the call at once); wrap the
 * provider in `runBudget` for each run.
 */
export function createProvider(config: LlmConfig, options: CreateProviderOptions = {}): ExtractionBackend {
  if (config.provider === 'offline') return { kind: 'offline', extractor: new OfflineExtractor() };
  const common = { timeoutMs: config.timeout, baseURL: config.base_url, fetch: options.fetch };
  const provider =
    config.provider === 'anthropic'
      ? new AnthropicProvider({ ...common, apiKey: config.api_key_env!, model: config.model ?? ANTHROPIC_DEFAULT_MODEL })
      : new OpenAiCompatibleProvider({ ...common, apiKey: config.api_key_env, model: config.model!, tokenLimitField: config.max_tokens_field });
  return {
    kind: 'llm',
    provider: retrying(provider, { baseDelayMs: 1000, maxDelayMs: 30_000, maxRetryAfterMs: 60_000, ...options.retry, maxAttempts: config.max_retries + 1 }),
  };
}

/** A fresh budget for one run, with the config's caps. */
export function runBudget(provider: LlmProvider, config: Pick<LlmConfig, 'max_calls_per_run' | 'max_tokens_per_run'>): LlmBudget {
  return new LlmBudget(provider, { maxCalls: config.max_calls_per_run, maxTokens: config.max_tokens_per_run });
}
