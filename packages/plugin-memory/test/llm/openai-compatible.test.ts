import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LlmInvalidAnswerError, type LlmProvider, LlmRateLimitedError, LlmRefusedError, LlmTimeoutError, LlmUpstreamError } from '@aida/core';
import { OpenAiCompatibleProvider, retrying } from '../../src/index.js';
import { FakeOpenAi, openAiFailures } from '../fakes/openai-server.js';
import { fastRetry, goodAnswer, invalidAnswer, itemsRequest, providerFrom, rejectionOf } from './helpers.js';

const KEY = 'sk-proj-test-key-for-the-fake';
const env = { AIDA_TEST_OPENAI_KEY: KEY };

let fake: FakeOpenAi;
let provider: LlmProvider;

beforeAll(async () => {
  fake = await FakeOpenAi.start({ apiKey: KEY });
  ({ provider } = providerFrom(
    { provider: 'openai-compatible', api_key_env: 'AIDA_TEST_OPENAI_KEY', model: 'gpt-4.1-mini', base_url: fake.baseURL, max_retries: 2 },
    env,
  ));
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.respond = undefined;
  expect(fake.pending).toBe(0);
});

describe('the openai-compatible provider against a local chat completions server', () => {
  it('asks for a strict json_schema answer and returns the parsed, validated content with usage', async () => {
    fake.enqueue({ kind: 'json', value: goodAnswer, usage: { prompt_tokens: 400, completion_tokens: 60 } });
    const answer = await provider.complete(itemsRequest());

    expect(answer).toEqual({ value: goodAnswer, usage: { inputTokens: 400, outputTokens: 60 }, model: 'gpt-4.1-mini' });
    const [body] = fake.completions;
    expect(body).toMatchObject({
      model: 'gpt-4.1-mini',
      max_tokens: 1024,
      messages: [
        { role: 'system', content: 'Extract durable knowledge items from the analyst notes.' },
        { role: 'user', content: '# Sales\n- Revenue excludes refunds: use net_amount.' },
      ],
      response_format: { type: 'json_schema', json_schema: { name: 'knowledge_items', strict: true } },
    });
    expect(body.response_format.json_schema.schema).toMatchObject({ type: 'object', required: ['items'], additionalProperties: false });
  });

  it('sends the API key as a bearer token', async () => {
    fake.enqueue({ kind: 'json', value: goodAnswer });
    await provider.complete(itemsRequest());
    const [request] = fake.requests;
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(JSON.stringify(request.body)).not.toContain(KEY);
  });

  it('talks to a server without auth (a local Ollama) with no Authorization header at all', async () => {
    const open = await FakeOpenAi.start({ apiKey: null });
    try {
      const ollama = new OpenAiCompatibleProvider({ model: 'llama3.1:8b', baseURL: open.baseURL, timeoutMs: 5000 });
      open.enqueue({ kind: 'json', value: goodAnswer });
      expect((await ollama.complete(itemsRequest())).value).toEqual(goodAnswer);
      expect(open.requests[0].headers.authorization).toBeUndefined();
    } finally {
      await open.close();
    }
  });

  it('can send the token cap as max_completion_tokens', async () => {
    const reasoning = new OpenAiCompatibleProvider({
      apiKey: KEY,
      model: 'o4-mini',
      baseURL: fake.baseURL,
      timeoutMs: 5000,
      tokenLimitField: 'max_completion_tokens',
    });
    fake.enqueue({ kind: 'json', value: goodAnswer });
    await reasoning.complete(itemsRequest());
    expect(fake.completions[0]).toMatchObject({ max_completion_tokens: 1024 });
    expect(fake.completions[0]).not.toHaveProperty('max_tokens');
  });

  it('a wrong key is a 401 upstream error that is not retried', async () => {
    const wrong = retrying(new OpenAiCompatibleProvider({ apiKey: 'sk-wrong-key', model: 'gpt-4.1-mini', baseURL: fake.baseURL, timeoutMs: 5000 }), {
      ...fastRetry,
      maxAttempts: 3,
    });
    const e = await rejectionOf(wrong.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmUpstreamError);
    expect(e).toMatchObject({ httpStatus: 401, retryable: false });
    expect(e.message).toMatch(/refused the API key \(401 invalid_api_key: Incorrect API key provided/);
    expect(fake.requests).toHaveLength(1);
  });

  it('an answer that fails the schema is an invalid-answer error carrying the zod issues', async () => {
    fake.enqueue({ kind: 'json', value: invalidAnswer, usage: { prompt_tokens: 10, completion_tokens: 5 } });
    const e = await rejectionOf(provider.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmInvalidAnswerError);
    expect(e).toMatchObject({ reason: 'schema', usage: { inputTokens: 10, outputTokens: 5 } });
    expect(e.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(['items.0.title', 'items.0.category']));
    expect(fake.requests).toHaveLength(1);
  });

  it('content that is not JSON is an invalid answer (malformed), not retried', async () => {
    fake.enqueue({ kind: 'content', content: '{"items": [{"title": "Revenue", ' });
    const e = await rejectionOf(provider.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmInvalidAnswerError);
    expect(e.reason).toBe('malformed');
    expect(fake.requests).toHaveLength(1);
  });

  it('a response body that is not JSON is an invalid answer (malformed)', async () => {
    fake.enqueue({ kind: 'malformed' });
    const e = await rejectionOf(provider.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmInvalidAnswerError);
    expect(e.reason).toBe('malformed');
    expect(fake.requests).toHaveLength(1);
  });

  it('finish_reason length is an invalid answer (truncated), not retried', async () => {
    fake.enqueue({ kind: 'truncated', value: goodAnswer });
    const e = await rejectionOf(provider.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmInvalidAnswerError);
    expect(e.reason).toBe('truncated');
    expect(fake.requests).toHaveLength(1);
  });

  it('a refusal is a refused error, never retried', async () => {
    fake.enqueue({ kind: 'refusal', refusal: "I can't help with that." });
    const e = await rejectionOf(provider.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmRefusedError);
    expect(e).toMatchObject({ retryable: false, detail: { refusal: "I can't help with that." } });
    expect(fake.requests).toHaveLength(1);
  });

  it('a content filter is a refused error', async () => {
    fake.enqueue({ kind: 'content_filter' });
    const e = await rejectionOf(provider.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmRefusedError);
    expect(fake.requests).toHaveLength(1);
  });

  it('waits the retry-after of a 429, then succeeds', async () => {
    fake.enqueue(openAiFailures.rateLimited(1), { kind: 'json', value: goodAnswer });
    const answer = await provider.complete(itemsRequest());
    expect(answer.value).toEqual(goodAnswer);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1].at - fake.requests[0].at).toBeGreaterThanOrEqual(1000);
  });

  it('429 on every attempt ends as a rate-limited error after max_retries', async () => {
    fake.respond = () => ({ ...openAiFailures.rateLimited(0), retryAfter: '0' });
    const e = await rejectionOf(provider.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmRateLimitedError);
    expect(e).toMatchObject({ httpStatus: 429, retryAfterMs: 0 });
    expect(fake.requests).toHaveLength(3);
  });

  it('retries 500 and 503, then succeeds', async () => {
    fake.enqueue(openAiFailures.serverError(), openAiFailures.overloaded(), { kind: 'json', value: goodAnswer });
    expect((await provider.complete(itemsRequest())).value).toEqual(goodAnswer);
    expect(fake.requests).toHaveLength(3);
  });

  it('an answer slower than the timeout is a typed timeout after the retries', async () => {
    const slow = retrying(new OpenAiCompatibleProvider({ apiKey: KEY, model: 'gpt-4.1-mini', baseURL: fake.baseURL, timeoutMs: 200 }), {
      ...fastRetry,
      maxAttempts: 3,
    });
    fake.respond = () => ({ kind: 'delay', ms: 1500, then: { kind: 'json', value: goodAnswer } });
    const e = await rejectionOf(slow.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmTimeoutError);
    expect(e).toMatchObject({ aborted: false, retryable: true });
    expect(fake.requests).toHaveLength(3);
  });

  it('a 400 (a schema the server rejects) is not retried', async () => {
    fake.enqueue(openAiFailures.badRequest("Invalid schema for response_format 'knowledge_items'"));
    const e = await rejectionOf(provider.complete(itemsRequest()));
    expect(e).toMatchObject({ httpStatus: 400, retryable: false });
    expect(fake.requests).toHaveLength(1);
  });

  it('a schema with an optional field is refused by a strict server, as OpenAI does', async () => {
    const loose = z.object({ items: z.array(z.string()), note: z.string().optional() });
    const e = await rejectionOf(provider.complete({ ...itemsRequest(), schema: loose } as never));
    expect(e).toBeInstanceOf(LlmUpstreamError);
    expect(e.message).toContain("Missing 'note'");
  });
});
