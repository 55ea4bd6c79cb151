import { describe, expect, it } from 'vitest';
import {
  LlmBudgetExhaustedError,
  LlmInvalidAnswerError,
  LlmOverloadedError,
  LlmRateLimitedError,
  LlmRefusedError,
  LlmTimeoutError,
  LlmUpstreamError,
  parseRetryAfter,
  retryDelay,
  withRetries,
  type RetryOptions,
} from '../../src/index.js';
import { rejectionOf } from './helpers.js';

/** Options with a recorded, instant sleep. */
function recorded(o: Partial<RetryOptions> = {}): { options: RetryOptions; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    options: {
      maxAttempts: 4,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      random: () => 0.5,
      sleep: async (ms) => {
        waits.push(ms);
      },
      ...o,
    },
  };
}

/** A call that fails with `errors` in turn, then answers `ok`. */
function failing(...errors: Error[]) {
  let calls = 0;
  const call = async () => {
    calls++;
    const e = errors.shift();
    if (e) throw e;
    return 'ok';
  };
  return { call, calls: () => calls };
}

describe('withRetries', () => {
  it('retries 429, 529, 5xx and timeouts, then returns the answer', async () => {
    const { options, waits } = recorded();
    const f = failing(new LlmRateLimitedError('429'), new LlmOverloadedError('529'), new LlmUpstreamError('502', { httpStatus: 502 }));
    expect(await withRetries(f.call, options)).toBe('ok');
    expect(f.calls()).toBe(4);
    expect(waits).toHaveLength(3);
  });

  it('backs off exponentially with jitter, capped at maxDelayMs', async () => {
    const { options, waits } = recorded({ maxAttempts: 6, random: () => 0.5 });
    const f = failing(...Array.from({ length: 5 }, () => new LlmTimeoutError('slow')));
    await withRetries(f.call, options);
    // equal jitter with random 0.5: three quarters of 100, 200, 400, 800, then the 1000 cap
    expect(waits).toEqual([75, 150, 300, 600, 750]);
    const low = retryDelay(new LlmTimeoutError(), 1, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0 });
    const high = retryDelay(new LlmTimeoutError(), 1, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999 });
    expect([low, high]).toEqual([50, 100]);
  });

  it("waits exactly the provider's retry-after instead of the backoff", async () => {
    const { options, waits } = recorded();
    const f = failing(new LlmRateLimitedError('429', { retryAfterMs: 2500 }), new LlmOverloadedError('529', { retryAfterMs: 10 }));
    await withRetries(f.call, options);
    expect(waits).toEqual([2500, 10]);
  });

  it('a retry-after beyond maxRetryAfterMs fails at once', async () => {
    const { options, waits } = recorded({ maxRetryAfterMs: 30_000 });
    const f = failing(new LlmRateLimitedError('429', { retryAfterMs: 120_000 }));
    const e = await rejectionOf(withRetries(f.call, options));
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
      expect(await rejectionOf(withRetries(f.call, options))).toBe(error);
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
    expect(await rejectionOf(withRetries(f.call, options))).toBe(last);
    expect(f.calls()).toBe(3);
  });

  it('an abort during the wait ends the retries with an aborted timeout', async () => {
    const controller = new AbortController();
    const f = failing(new LlmOverloadedError('529'));
    setTimeout(() => controller.abort(), 20);
    const started = Date.now();
    const e = await rejectionOf(withRetries(f.call, { maxAttempts: 3, baseDelayMs: 5000, maxDelayMs: 5000, signal: controller.signal }));
    expect(e).toBeInstanceOf(LlmTimeoutError);
    expect(e.aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(f.calls()).toBe(1);
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
