import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmBudgetExhaustedError, LlmInvalidAnswerError, type LlmProvider } from '@aida/core';
import { LlmBudget, runBudget } from '../../src/index.js';
import { FakeAnthropic } from '../fakes/anthropic-server.js';
import { goodAnswer, invalidAnswer, itemsRequest, providerFrom, rejectionOf } from './helpers.js';

let fake: FakeAnthropic;
let provider: LlmProvider;

beforeAll(async () => {
  fake = await FakeAnthropic.start({ apiKey: 'sk-ant-budget' });
  ({ provider } = providerFrom({ provider: 'anthropic', api_key_env: 'AIDA_TEST_KEY', base_url: fake.url }, { AIDA_TEST_KEY: 'sk-ant-budget' }));
});
afterAll(() => fake.close());

describe("a run's LLM budget", () => {
  it('refuses the call after max_calls_per_run without sending it, and reports calls and tokens', async () => {
    fake.requests.length = 0;
    fake.respond = () => ({ kind: 'tool_use', input: goodAnswer, usage: { input_tokens: 100, output_tokens: 10 } });
    const budget = runBudget(provider, { max_calls_per_run: 3, max_tokens_per_run: 1_000_000 });
    for (let i = 0; i < 3; i++) await budget.complete(itemsRequest());
    expect(budget.report()).toEqual({ calls: 3, inputTokens: 300, outputTokens: 30, exhausted: false });

    const e = await rejectionOf(budget.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmBudgetExhaustedError);
    expect(e).toMatchObject({ code: 'LLM_BUDGET_EXHAUSTED', limit: 'calls', retryable: false, llmFailure: 'budget_exhausted' });
    expect(e.message).toContain('llm.max_calls_per_run');
    expect(fake.requests).toHaveLength(3);
    expect(budget.report()).toEqual({ calls: 3, inputTokens: 300, outputTokens: 30, exhausted: true });
  });

  it('refuses further calls once the tokens are spent, counting those of invalid answers', async () => {
    fake.requests.length = 0;
    fake.respond = undefined;
    fake.enqueue(
      { kind: 'tool_use', input: goodAnswer, usage: { input_tokens: 400, output_tokens: 100 } },
      { kind: 'tool_use', input: invalidAnswer, usage: { input_tokens: 400, output_tokens: 150 } },
    );
    const budget = new LlmBudget(provider, { maxCalls: 100, maxTokens: 1000 });
    await budget.complete(itemsRequest());
    expect(await rejectionOf(budget.complete(itemsRequest()))).toBeInstanceOf(LlmInvalidAnswerError);
    const e = await rejectionOf(budget.complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmBudgetExhaustedError);
    expect(e.limit).toBe('tokens');
    expect(fake.requests).toHaveLength(2);
    expect(budget.report()).toEqual({ calls: 2, inputTokens: 800, outputTokens: 250, exhausted: true });
  });

  it('counts concurrent calls as they start, so they cannot overshoot the call cap', async () => {
    fake.requests.length = 0;
    fake.respond = () => ({ kind: 'delay', ms: 50, then: { kind: 'tool_use', input: goodAnswer } });
    const budget = new LlmBudget(provider, { maxCalls: 2, maxTokens: 1_000_000 });
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => budget.complete(itemsRequest())));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof LlmBudgetExhaustedError)).toHaveLength(2);
    expect(fake.requests).toHaveLength(2);
  });

  it('is a provider itself, so extraction code takes either', () => {
    const budget = new LlmBudget(provider, { maxCalls: 1, maxTokens: 1 });
    expect(budget.id).toBe('anthropic');
    expect(budget.model).toBe('claude-haiku-4-5');
  });
});
