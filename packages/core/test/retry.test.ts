import { describe, expect, it } from 'vitest';
import { abortableSleep, backoffDelay, parseRetryAfter, withRetries, type RetryDecision, type RetryOptions } from '../src/index.js';

/** A failure that says whether it may pass later, as a client's error would. */
class Flaky extends Error {
  constructor(
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(retryable ? 'try again' : 'never');
  }
}
const classify = (e: unknown): RetryDecision => (e instanceof Flaky ? { retryable: e.retryable, retryAfterMs: e.retryAfterMs } : { retryable: false });

/** Options with a recording clock: `waits` holds every delay slept. */
function options(extra: Partial<RetryOptions> = {}): RetryOptions & { waits: number[] } {
  const waits: number[] = [];
  return {
    maxAttempts: 4,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    maxRetryAfterMs: 5000,
    classify,
    random: () => 0,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...extra,
    waits,
  };
}

/** A call that fails with `failures` in turn, then answers `ok`. */
function failing(...failures: Error[]): { call: (attempt: number) => Promise<string>; attempts: number[] } {
  const attempts: number[] = [];
  return {
    attempts,
    call: async (attempt) => {
      attempts.push(attempt);
      const f = failures.shift();
      if (f) throw f;
      return 'ok';
    },
  };
}

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates as milliseconds, a past date as 0, anything else as undefined', () => {
    const now = Date.parse('2024-05-01T10:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 1.5 ', now)).toBe(1500);
    expect(parseRetryAfter('Wed, 01 May 2024 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 01 May 2024 09:00:00 GMT', now)).toBe(0);
    for (const v of ['soon', '-1', '', null, undefined]) expect(parseRetryAfter(v, now)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('doubles from the base per failed attempt, capped, with jitter between half and all of it', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, policy, () => 0)).toBe(50);
    expect(backoffDelay(1, policy, () => 0.999999)).toBe(100);
    expect(backoffDelay(4, policy, () => 0.999999)).toBe(800);
    expect(backoffDelay(30, policy, () => 0.999999)).toBe(1000);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(3, policy);
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(400);
    }
  });
});

describe('withRetries', () => {
  it('retries retryable failures with growing backoff and returns the first success', async () => {
    const o = options();
    const events: [number, number][] = [];
    const f = failing(new Flaky(true), new Flaky(true), new Flaky(true));
    await expect(withRetries(f.call, { ...o, onRetry: (e) => events.push([e.attempt, e.delayMs]) })).resolves.toBe('ok');
    expect(f.attempts).toEqual([1, 2, 3, 4]);
    expect(o.waits).toEqual([50, 100, 200]);
    expect(events).toEqual([
      [1, 50],
      [2, 100],
      [3, 200],
    ]);
  });

  it('throws a failure classify calls not retryable at once, without waiting', async () => {
    const o = options();
    const f = failing(new Flaky(false));
    await expect(withRetries(f.call, o)).rejects.toThrow('never');
    expect(f.attempts).toEqual([1]);
    expect(o.waits).toEqual([]);
  });

  it('gives up after maxAttempts with the last failure, or what onGiveUp makes of it', async () => {
    const last = new Flaky(true);
    const o = options({ maxAttempts: 3 });
    await expect(withRetries(failing(new Flaky(true), new Flaky(true), last).call, o)).rejects.toBe(last);
    expect(o.waits).toHaveLength(2);
    const told = await withRetries(failing(new Flaky(true), new Flaky(true), new Flaky(true)).call, {
      ...options({ maxAttempts: 3 }),
      onGiveUp: (e, why) => new Error(`${(e as Error).message} (${why.kind} after ${why.kind === 'exhausted' ? why.attempts : '?'} attempts)`),
    }).catch((e: Error) => e.message);
    expect(told).toBe('try again (exhausted after 3 attempts)');
  });

  it('waits the Retry-After the server asked for instead of the backoff', async () => {
    const o = options();
    const events: (number | undefined)[] = [];
    await withRetries(failing(new Flaky(true, 1234), new Flaky(true)).call, { ...o, onRetry: (e) => events.push(e.retryAfterMs) });
    expect(o.waits).toEqual([1234, 100]);
    expect(events).toEqual([1234, undefined]);
  });

  it('fails at once when the Retry-After is longer than maxRetryAfterMs', async () => {
    const o = options({ maxRetryAfterMs: 1000 });
    const f = failing(new Flaky(true, 60_000));
    const reasons: unknown[] = [];
    await expect(
      withRetries(f.call, {
        ...o,
        onGiveUp: (e, why) => {
          reasons.push(why);
          return e;
        },
      }),
    ).rejects.toThrow('try again');
    expect(f.attempts).toEqual([1]);
    expect(o.waits).toEqual([]);
    expect(reasons).toEqual([{ kind: 'retry-after-too-long', retryAfterMs: 60_000 }]);
  });

  it('stops waiting as soon as the signal aborts, rejecting with its reason', async () => {
    const controller = new AbortController();
    const reason = new Error('host stopping');
    const f = failing(new Flaky(true), new Flaky(true));
    const started = Date.now();
    setTimeout(() => controller.abort(reason), 50);
    await expect(withRetries(f.call, { maxAttempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000, classify, signal: controller.signal })).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(f.attempts).toEqual([1]);
  });

  it('does not start when already aborted, and reports the abort rather than the failure it caused', async () => {
    const aborted = AbortSignal.abort(new Error('gone'));
    const f = failing();
    await expect(withRetries(f.call, { ...options(), signal: aborted })).rejects.toThrow('gone');
    expect(f.attempts).toEqual([]);

    const controller = new AbortController();
    const call = async () => {
      controller.abort(new Error('stopped'));
      throw new Flaky(true);
    };
    await expect(withRetries(call, { ...options(), signal: controller.signal })).rejects.toThrow('stopped');
  });

  it('adds at most a little jitter to a Retry-After, so parallel callers spread out', async () => {
    const o = options({ random: () => 0.999999 });
    await withRetries(failing(new Flaky(true, 1000)).call, o);
    expect(o.waits[0]).toBeGreaterThan(1000);
    expect(o.waits[0]).toBeLessThanOrEqual(1100);
  });
});

describe('abortableSleep', () => {
  it('resolves after the delay, and rejects with the reason when aborted first', async () => {
    const t = Date.now();
    await abortableSleep(20);
    expect(Date.now() - t).toBeGreaterThanOrEqual(15);
    await expect(abortableSleep(10, AbortSignal.abort(new Error('no')))).rejects.toThrow('no');
  });
});
