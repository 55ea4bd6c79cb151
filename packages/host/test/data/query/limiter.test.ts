import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '@aida/core';
import { ConcurrencyLimiter } from '../../../src/data/query/limiter.js';

describe('ConcurrencyLimiter', () => {
  it('runs up to the cap, queues in order, refuses when the queue is full', async () => {
    const l = new ConcurrencyLimiter(2, 1, 5_000);
    const a = await l.acquire();
    const b = await l.acquire();
    expect(l.active).toBe(2);
    const order: string[] = [];
    const c = l.acquire().then((release) => {
      order.push('c');
      return release;
    });
    expect(l.queued).toBe(1);
    await expect(l.acquire()).rejects.toBeInstanceOf(RateLimitedError);
    a();
    a(); // releasing twice is harmless
    const releaseC = await c;
    expect(order).toEqual(['c']);
    expect(l.active).toBe(2);
    b();
    releaseC();
    expect(l.active).toBe(0);
  });

  it('gives up waiting after maxWaitMs with 429 and Retry-After', async () => {
    const l = new ConcurrencyLimiter(1, 4, 50);
    const hold = await l.acquire();
    const started = Date.now();
    const err = await l.acquire().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).status).toBe(429);
    expect((err as RateLimitedError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(l.queued).toBe(0);
    hold();
    expect(l.active).toBe(0);
    (await l.acquire())();
  });

  it('refuses at once when there is no queue', async () => {
    const l = new ConcurrencyLimiter(1, 0, 1_000);
    const hold = await l.acquire();
    await expect(l.acquire()).rejects.toMatchObject({ code: 'AIDA_QUERY_BUSY' });
    hold();
  });
});
