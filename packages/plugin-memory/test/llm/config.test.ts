import { describe, expect, it } from 'vitest';
import { REDACTED, SecretRedactor, StartupError, validateConfig } from '@aida/core';
import { AnthropicProvider, createProvider, llmConfigSchema, parseLlmConfig } from '../../src/index.js';
import { rejectionOf } from './helpers.js';

describe('the llm config', () => {
  it('defaults to the offline provider, with caps and a timeout', () => {
    expect(parseLlmConfig(undefined, {})).toEqual({
      provider: 'offline',
      timeout: 120_000,
      max_retries: 3,
      max_calls_per_run: 200,
      max_tokens_per_run: 2_000_000,
      max_tokens_field: 'max_tokens',
    });
  });

  it('a missing API key variable is a config error naming the variable', async () => {
    const e = await rejectionOf(Promise.resolve().then(() => parseLlmConfig({ provider: 'anthropic', api_key_env: 'ANTHROPIC_API_KEY' }, {})));
    expect(e).toBeInstanceOf(StartupError);
    expect(e.message).toContain('llm.api_key_env: environment variable ANTHROPIC_API_KEY is not set (it must hold the API key of the LLM provider)');
    expect(e.detail.issues).toEqual([{ path: 'llm.api_key_env', message: expect.stringContaining('ANTHROPIC_API_KEY') }]);
  });

  it('the host validates the same way and reports every problem at once', () => {
    const result = validateConfig(llmConfigSchema, { provider: 'openai-compatible', api_key_env: 'OPENAI_KEY', timeout: 'soon' }, 'plugins[2].config.llm', {
      env: {},
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['plugins[2].config.llm.api_key_env', 'plugins[2].config.llm.timeout']));
    expect(result.issues.find((i) => i.path.endsWith('api_key_env'))?.message).toContain('OPENAI_KEY is not set');
  });

  it('anthropic needs api_key_env, openai-compatible a model; offline takes neither', () => {
    expect(() => parseLlmConfig({ provider: 'anthropic' }, {})).toThrow(/llm\.api_key_env: the anthropic provider needs api_key_env.*ANTHROPIC_API_KEY/);
    expect(() => parseLlmConfig({ provider: 'openai-compatible' }, {})).toThrow(/llm\.model: the openai-compatible provider needs a model/);
    expect(() => parseLlmConfig({ model: 'claude-haiku-4-5' }, {})).toThrow(/llm\.model: model is only used with provider: anthropic or openai-compatible/);
    expect(() => parseLlmConfig({ provider: 'openai-compatible', model: 'llama3.1:8b', base_url: 'http://localhost:11434/v1' }, {})).not.toThrow();
  });

  it('refuses unknown keys, bad URLs and a bad provider', () => {
    expect(() => parseLlmConfig({ provider: 'gemini' }, {})).toThrow(/llm\.provider/);
    expect(() => parseLlmConfig({ provider: 'anthropic', api_key_env: 'K', base_url: 'https://user:pw@example.com' }, { K: 'sk-x' })).toThrow(
      /base_url must be an absolute http\(s\) URL/,
    );
    expect(() => parseLlmConfig({ provider: 'anthropic', api_key_env: 'K', apikey: 'x' }, { K: 'sk-x' })).toThrow(/Unrecognized key/);
  });

  it('holds the key once validated and hands it to the host to mask', () => {
    const secrets = new SecretRedactor();
    const config = parseLlmConfig(
      { provider: 'anthropic', api_key_env: 'ANTHROPIC_API_KEY', base_url: 'https://gateway.example.com/anthropic/', timeout: '30s' },
      { ANTHROPIC_API_KEY: 'sk-ant-api03-secret' },
      secrets,
    );
    expect(config).toMatchObject({ api_key_env: 'sk-ant-api03-secret', base_url: 'https://gateway.example.com/anthropic', timeout: 30_000 });
    expect(secrets.redact('key sk-ant-api03-secret leaked')).toBe(`key ${REDACTED} leaked`);
  });

  it('createProvider builds the configured provider, retried, with the default model', () => {
    const backend = createProvider(parseLlmConfig({ provider: 'anthropic', api_key_env: 'K' }, { K: 'sk-ant-x' }));
    expect(backend.kind).toBe('llm');
    if (backend.kind !== 'llm') return;
    expect(backend.provider).not.toBeInstanceOf(AnthropicProvider);
    expect(backend.provider).toMatchObject({ id: 'anthropic', model: 'claude-haiku-4-5' });
    const openai = createProvider(parseLlmConfig({ provider: 'openai-compatible', model: 'gpt-4.1-mini' }, {}));
    expect(openai.kind === 'llm' && openai.provider).toMatchObject({ id: 'openai-compatible', model: 'gpt-4.1-mini' });
  });
});
