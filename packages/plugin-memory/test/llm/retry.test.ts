import { describe, expect, it } from 'vitest';
import {
  LlmBudgetExhaustedError,
  LlmInvalidAnswerError,
  LlmOverloadedError,
  LlmRateLimitedError,
  LlmRefusedError,
  LlmTimeoutError,
  LlmUpstreamError,
} from '@aida/core';
import type { LlmAnswer, LlmProvider, RetryOptions } from '@aida/core';
import { parseRetryAfter, retrying } from '../../src/index.js';
import { itemsRequest, rejectionOf, type Items } from './helpers.js';

type Timing = Omit<RetryOptions, 'classify' | 'signal'>;

/** Timing with a recorded, instant sleep and no jitter (random 0), so the delays are exact. */
function recorded(o: Partial<Timing> = {}): { options: Timing; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    options: {
      maxAttempts: 4,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      random: () => 0,
      sleep: async (ms) => {
        waits.push(ms);
      },
      ...o,
    },
  };
}

const answer: LlmAnswer<Items> = { value: { items: [] }, usage: { inputTokens: 1, outputTokens: 1 }, model: 'test-model' };

/** A provider whose calls fail with `errors` in turn, then answer. */
function failing(...errors: Error[]) {
  let calls = 0;
  const provider: LlmProvider = {
    id: 'test',
    model: 'test-model',
    async complete<T>(): Promise<LlmAnswer<T>> {
      calls++;
      const e = errors.shift();
      if (e) throw e;
      return answer as LlmAnswer<T>;
    },
  };
  return { provider, calls: () => calls };
}

describe('retrying', () => {
  it('retries 429, 529, 5xx and timeouts, then returns the answer', async () => {
    const { options, waits } = recorded();
    const f = failing(new LlmRateLimitedError('429'), new LlmOverloadedError('529'), new LlmUpstreamError('502', { httpStatus: 502 }));
    expect(await retrying(f.provider, options).complete(itemsRequest())).toEqual(answer);
    expect(f.calls()).toBe(4);
    expect(waits).toHaveLength(3);
  });

  it('backs off exponentially with jitter, capped at maxDelayMs', async () => {
    const { options, waits } = recorded({ maxAttempts: 6, random: () => 0.5 });
    const f = failing(...Array.from({ length: 5 }, () => new LlmTimeoutError('slow')));
    await retrying(f.provider, options).complete(itemsRequest());
    // equal jitter with random 0.5: three quarters of 100, 200, 400, 800, then the 1000 cap
    expect(waits).toEqual([75, 150, 300, 600, 750]);
  });

  it("waits the provider's retry-after instead of the backoff", async () => {
    const { options, waits } = recorded();
    const f = failing(new LlmRateLimitedError('429', { retryAfterMs: 2500 }), new LlmOverloadedError('529', { retryAfterMs: 10 }));
    await retrying(f.provider, options).complete(itemsRequest());
    expect(waits).toEqual([2500, 10]);
  });

  it('a retry-after beyond maxRetryAfterMs fails at once', async () => {
    const { options, waits } = recorded({ maxRetryAfterMs: 30_000 });
    const f = failing(new LlmRateLimitedError('429', { retryAfterMs: 120_000 }));
    const e = await rejectionOf(retrying(f.provider, options).complete(itemsRequest()));
    expect(e).toBeInstanceOf(LlmRateLimitedError);
    expect(f.calls()).toBe(1);
    expect(waits).toEqual([]);
  });

  it('never retries refusals, invalid answers, 4xx other than 429, budget refusals, aborts or foreign errors', async () => {
    for (const error of [
      new LlmRefusedError('no'),
      new LlmInvalidAnswerError('bad', { reason: 'schema' }),
      new LlmUpstreamError('401', { httpStatus: 401 }),
      new LlmUpstreamError('400', { httpStatus: 400 }),
      new LlmBudgetExhaustedError('spent', { limit: 'calls' }),
      new LlmTimeoutError('aborted', { aborted: true }),
      new TypeError('a bug'),
    ]) {
      const { options, waits } = recorded();
      const f = failing(error);
      expect(await rejectionOf(retrying(f.provider, options).complete(itemsRequest()))).toBe(error);
      expect(f.calls()).toBe(1);
      expect(waits).toEqual([]);
    }
  });

  it('408, 5xx and lost connections (no status) are retryable upstream failures', () => {
    expect(new LlmUpstreamError('x', { httpStatus: 500 }).retryable).toBe(true);
    expect(new LlmUpstreamError('x', { httpStatus: 503 }).retryable).toBe(true);
    expect(new LlmUpstreamError('x').retryable).toBe(true);
    expect(new LlmUpstreamError('x', { httpStatus: 404 }).retryable).toBe(false);
  });

  it('throws the last failure after maxAttempts', async () => {
    const { options } = recorded({ maxAttempts: 3 });
    const last = new LlmOverloadedError('third');
    const f = failing(new LlmOverloadedError('first'), new LlmOverloadedError('second'), last, new LlmOverloadedError('never'));
    expect(await rejectionOf(retrying(f.provider, options).complete(itemsRequest()))).toBe(last);
    expect(f.calls()).toBe(3);
  });

  it('an abort during the wait ends the retries with an aborted timeout', async () => {
    const controller = new AbortController();
    const f = failing(new LlmOverloadedError('529'));
    setTimeout(() => controller.abort(), 20);
    const started = Date.now();
    const slow = retrying(f.provider, { maxAttempts: 3, baseDelayMs: 5000, maxDelayMs: 5000 });
    const e = await rejectionOf(slow.complete(itemsRequest(), controller.signal));
    expect(e).toBeInstanceOf(LlmTimeoutError);
    expect(e).toMatchObject({ aborted: true, retryable: false, llmFailure: 'timeout', provider: 'test' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(f.calls()).toBe(1);
  });

  it('a call made after the abort is not attempted and fails as an aborted timeout', async () => {
    const f = failing();
    const e = await rejectionOf(retrying(f.provider, recorded().options).complete(itemsRequest(), AbortSignal.abort()));
    expect(e).toMatchObject({ code: 'LLM_TIMEOUT', aborted: true });
    expect(f.calls()).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  const headers = (h: Record<string, string>) => new Headers(h);
  it('reads seconds, decimals, HTTP dates and retry-after-ms', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter(headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(parseRetryAfter(headers({ 'retry-after': '0.25' }), now)).toBe(250);
    expect(parseRetryAfter(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now)).toBe(5000);
    expect(parseRetryAfter(headers({ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }), now)).toBe(0);
    expect(parseRetryAfter(headers({ 'retry-after-ms': '1500', 'retry-after': '9' }), now)).toBe(1500);
  });
  it('is undefined when absent or unreadable', () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter(headers({}))).toBeUndefined();
    expect(parseRetryAfter(headers({ 'retry-after': 'soon' }))).toBeUndefined();
  });
});
