// The client on its own against the fake: what is retried, what is not, and when it stops waiting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceClient, parseRetryAfter } from '../src/client.js';
import { FakeSource } from '../src/testing/fake-source.js';
import { COUNTRIES, COUNTRY_ROWS, TOKEN } from './helpers.js';

describe('the source client', () => {
  let fake: FakeSource;
  const signal = new AbortController().signal;
  const client = (token = TOKEN, maxRetryAfterMs = 5_000) =>
    new SourceClient({ baseUrl: fake.url, token, timeoutMs: 1_000, retries: { max: 2, baseDelayMs: 10, maxRetryAfterMs } });

  beforeAll(async () => {
    fake = await FakeSource.start(TOKEN);
    fake.pageSize = 2;
    fake.addTable(COUNTRIES, COUNTRY_ROWS);
  });
  afterAll(() => fake.close());

  it('reads every page of a table', async () => {
    const pages: unknown[][] = [];
    for await (const page of client().rows('countries', undefined, signal)) pages.push(page);
    expect(pages.map((p) => p.length)).toEqual([2, 1]);
  });

  it('a rejected token fails at once, with a hint and without the token', async () => {
    const before = fake.requests.length;
    const wrong = 'wrong-token-1234567890';
    const error = await client(wrong)
      .listTables(signal)
      .then(
        () => undefined,
        (e: unknown) => e as Error & { code: string },
      );
    expect(error).toMatchObject({ code: 'AIDA_UNAVAILABLE', message: expect.stringMatching(/GET \/v1\/tables answered 401: .*check the token/) });
    expect(error?.message).not.toContain(wrong);
    expect(fake.requests.length - before, 'a 401 is not retried').toBe(1);
  });

  it('a Retry-After longer than retries.max_retry_after fails instead of stalling the sync', async () => {
    fake.fail({ status: 429, retryAfter: '3600' });
    await expect(client(TOKEN, 60_000).listTables(signal)).rejects.toThrow(/answered 429: .*asks to retry after 1h, longer than retries.max_retry_after/);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(Date.now() + 5_000).toUTCString())).toBeGreaterThan(3_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
