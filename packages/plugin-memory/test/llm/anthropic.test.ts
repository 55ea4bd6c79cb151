import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  LlmInvalidAnswerError,
  LlmOverloadedError,
  type LlmProvider,
  LlmRateLimitedError,
  LlmRefusedError,
  LlmTimeoutError,
  LlmUpstreamError,
} from '@aida/core';
import { AnthropicProvider, retrying } from '../../src/index.js';
import { FakeAnthropic, anthropicFailures } from '../fakes/anthropic-server.js';
import { fastRetry, goodAnswer, invalidAnswer, itemsRequest, providerFrom, rejectionOf } from './helpers.js';

const KEY = 'sk-ant-api03-test-key-for-the-fake';
const env = { AIDA_TEST_ANTHROPIC_KEY: KEY };

let fake: FakeAnthropic;
let provider: LlmProvider;

beforeAll(async () => {
  fake = await FakeAnthropic.start({ apiKey: KEY });
  ({ provider } = providerFrom({ provider: 'anthropic', api_key_env: 'AIDA_TEST_ANTHROPIC_KEY', base_url: fake.url, max_retries: 2 }, env));
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.respond = undefined;
  expect(fake.pending).toBe(0);
});

describe('the anthropic provider against a local Messages API', () => {
  it('forces one tool whose input schema is the answer schema, and returns the validated tool input with usage', async () => {
    fake.enqueue({ kind: 'tool_use', input: goodAnswer, usage: { input_tokens: 321, output_tokens: 54 } });
    const answer = await provider.complete(itemsRequest());

    expect(answer).toEqual({ value: goodAnswer, usage: { inputTokens: 321, outputTokens: 54 }, model: 'claude-haiku-4-5' });
    const [body] = fake.messages;
    expect(body).toMatchObject({
      model: 'claude-haiku-4-5',
      max_tokens: 1024,
      system: 'Extract durable knowledge items from the analyst notes.',
      messages: [{ role: 'user', content: '# Sales\n- Revenue excludes refunds: use net_amount.' }],
      tool_choice: { type: 'tool', name: 'knowledge_items' },
    });
    expect(body.tools).toHaveLength(1);
    expect(body.tools[0].name).toBe('knowledge_items');
    expect(body.tools[0].input_schema).toMatchObject({ type: 'object', required: ['items'], additionalProperties: false });
    expect(body.tools[0].input_schema.properties.items.items.properties.category.enum).toContain('business_logic');
    expect(body.tools[0].input_schema.$schema).toBeUndefined();
    // Sampling parameters are refused by API version 2026-10-21.
    expect(body).not.toHaveProperty('temperature');
  });

  it('sends the API key and the API version in the headers the SDK uses', async () => {
    fake.enqueue({ kind: 'tool_use', input: goodAnswer });
    await provider.complete(itemsRequest());
    const [request] = fake.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v1/messages');
    // SDK 1.x sends the key as a bearer token (the API also takes it as x-api-key); never both, never elsewhere.
    expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(request.headers['x-api-key']).toBeUndefined();
    expect(request.headers['anthropic-version']).toBe('2026-10-21');
    expect(JSON.stringify(request.body)).not.toContain(KEY);
  });

  it('a wrong key is a 401 upstream error that is not retried', async () => {
    const wrong = new AnthropicProvider({ apiKey: 'sk-ant-wrong', model: 'claude-haiku-4-5', baseURL: fake.url, timeoutMs: 5000 });
    const e = await rejectionOf(retrying(wrong, { ...fastRetry, maxAttempts: 3 }).complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmUpstreamError);
    expect(e).toMatchObject({ code: 'LLM_UPSTREAM_ERROR', httpStatus: 401, retryable: false, llmFailure: 'upstream' });
    expect(e.message).toMatch(/refused the API key \(401 authentication_error: invalid x-api-key\)/);
    expect(fake.requests).toHaveLength(1);
  });

  it('an answer that fails the schema is an invalid-answer error carrying the zod issues and the usage', async () => {
    fake.enqueue({ kind: 'tool_use', input: invalidAnswer, usage: { input_tokens: 100, output_tokens: 20 } });
    const e = await rejectionOf(provider.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmInvalidAnswerError);
    expect(e).toMatchObject({ code: 'LLM_INVALID_ANSWER', reason: 'schema', retryable: false, usage: { inputTokens: 100, outputTokens: 20 } });
    expect(e.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'items.0.title' }),
        expect.objectContaining({ path: 'items.0.category', message: expect.stringContaining('business_logic') }),
      ]),
    );
    expect(e.detail).toMatchObject({ reason: 'schema', issues: e.issues });
    expect(fake.requests).toHaveLength(1);
  });

  it('waits the retry-after of a 429, then succeeds', async () => {
    fake.enqueue(anthropicFailures.rateLimited(1), { kind: 'tool_use', input: goodAnswer });
    const started = Date.now();
    const answer = await provider.complete(itemsRequest());
    expect(answer.value).toEqual(goodAnswer);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1].at - fake.requests[0].at).toBeGreaterThanOrEqual(1000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('a 429 whose retry-after is too long fails at once as rate limited, with the delay', async () => {
    fake.enqueue(anthropicFailures.rateLimited(3600));
    const e = await rejectionOf(provider.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmRateLimitedError);
    expect(e).toMatchObject({ code: 'LLM_RATE_LIMITED', httpStatus: 429, retryAfterMs: 3_600_000, llmFailure: 'rate_limited' });
    expect(fake.requests).toHaveLength(1);
  });

  it('retries 529 overloaded and 500 api_error, then succeeds', async () => {
    fake.enqueue(anthropicFailures.overloaded(), anthropicFailures.apiError(), { kind: 'tool_use', input: goodAnswer });
    const answer = await provider.complete(itemsRequest());
    expect(answer.value).toEqual(goodAnswer);
    expect(fake.requests).toHaveLength(3);
  });

  it('529 on every attempt ends as an overloaded error after max_retries', async () => {
    fake.respond = () => anthropicFailures.overloaded();
    const e = await rejectionOf(provider.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmOverloadedError);
    expect(e).toMatchObject({ code: 'LLM_OVERLOADED', httpStatus: 529, retryable: true });
    expect(fake.requests).toHaveLength(3);
  });

  it('an answer slower than the timeout is a typed timeout after the retries', async () => {
    const slow = retrying(new AnthropicProvider({ apiKey: KEY, model: 'claude-haiku-4-5', baseURL: fake.url, timeoutMs: 200 }), {
      ...fastRetry,
      maxAttempts: 2,
    });
    fake.respond = () => ({ kind: 'delay', ms: 1500, then: { kind: 'tool_use', input: goodAnswer } });
    const started = Date.now();
    const e = await rejectionOf(slow.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmTimeoutError);
    expect(e).toMatchObject({ code: 'LLM_TIMEOUT', aborted: false, llmFailure: 'timeout' });
    expect(fake.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("the caller's abort stops the call and is not retried", async () => {
    fake.respond = () => ({ kind: 'delay', ms: 2000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const e = await rejectionOf(provider.complete(itemsRequest(), controller.signal));
    expect(e).toBeInstanceOf(LlmTimeoutError);
    expect(e).toMatchObject({ aborted: true, retryable: false });
    expect(fake.requests).toHaveLength(1);
  });

  it('a refusal is a refused error, never retried', async () => {
    fake.enqueue({ kind: 'refusal', category: 'cyber', usage: { input_tokens: 50, output_tokens: 3 } });
    const e = await rejectionOf(provider.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmRefusedError);
    expect(e).toMatchObject({ code: 'LLM_REFUSED', retryable: false, llmFailure: 'refused', usage: { inputTokens: 50, outputTokens: 3 } });
    expect(e.message).toContain('cyber');
    expect(fake.requests).toHaveLength(1);
  });

  it('an answer cut off at max_tokens is an invalid answer (truncated), not retried', async () => {
    fake.enqueue({ kind: 'truncated', input: { items: [{ title: 'Revenue' }] } });
    const e = await rejectionOf(provider.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmInvalidAnswerError);
    expect(e.reason).toBe('truncated');
    expect(fake.requests).toHaveLength(1);
  });

  it('a body that is not JSON is an invalid answer (malformed), not retried', async () => {
    fake.enqueue({ kind: 'malformed' });
    const e = await rejectionOf(provider.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmInvalidAnswerError);
    expect(e.reason).toBe('malformed');
    expect(fake.requests).toHaveLength(1);
  });

  it('a text answer without the tool call is an invalid answer (missing)', async () => {
    fake.enqueue({ kind: 'text', text: 'Here are the items: …' });
    const e = await rejectionOf(provider.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmInvalidAnswerError);
    expect(e.reason).toBe('missing');
  });

  it('a lost connection is retried', async () => {
    fake.enqueue({ kind: 'reset' }, { kind: 'tool_use', input: goodAnswer });
    const answer = await provider.complete(itemsRequest());
    expect(answer.value).toEqual(goodAnswer);
    expect(fake.requests).toHaveLength(2);
  });

  it('a 400 the API answers is not retried and quotes its message', async () => {
    fake.enqueue(anthropicFailures.invalidRequest('messages.0.content: too long'));
    const e = await rejectionOf(provider.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmUpstreamError);
    expect(e).toMatchObject({ httpStatus: 400, retryable: false });
    expect(e.message).toContain('messages.0.content: too long');
    expect(fake.requests).toHaveLength(1);
  });
});
