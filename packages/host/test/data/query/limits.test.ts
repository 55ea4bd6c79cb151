import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startQueryHost, type QueryHost } from './helpers.js';

/**
 * Limits, on a host started with a 1.5 s engine-time budget and a single query slot with no
 * queue, so the second concurrent query is refused at once.
 */

const TIMEOUT_MS = 3000;
let h: QueryHost;

beforeAll(async () => {
  h = await startQueryHost({ query: { timeout: `${TIMEOUT_MS}ms`, max_concurrent: 1, max_queued: 0, max_json_chars: 200000 } });
});
afterAll(async () => {
  await h?.stop();
});

/** Ten billion comparisons: far beyond the budget, and interruptible. */
const SLOW = 'SELECT count(*) FROM range(100000) a, range(100000) b WHERE a.range + b.range = -1';

function post(body: unknown, signal?: AbortSignal): Promise<Response> {
  return h.t.request('/api/query', { method: 'POST', signal, headers: { 'content-type': 'application/json', authorization: `Bearer ${h.analyst.token}` }, body: JSON.stringify(body) });
}

/** Retries a quick query until it gets a slot (the previous query may still be releasing it). */
async function eventuallyOk(ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const r = await h.query({ sql: 'SELECT 1 AS ok' });
    if (r.status === 200) return;
    if (r.status !== 429 || Date.now() > until) throw new Error(`no slot: ${r.status} ${r.text}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

describe('POST /api/query: timeout', () => {
  it('interrupts a query that runs too long, answers 504, and the server stays healthy', async () => {
    const started = Date.now();
    const r = await h.query({ sql: SLOW });
    const took = Date.now() - started;
    expect(r.status).toBe(504);
    expect(r.json.code).toBe('AIDA_QUERY_TIMEOUT');
    expect(r.json.message).toMatch(/3 s|3000 ms/);
    expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(took).toBeLessThan(TIMEOUT_MS + 8000);
    const health = await call(h.t, 'GET', '/api/health');
    expect(health.status).toBe(200);
    await eventuallyOk();
    const ok = await h.query({ sql: 'SELECT count(*) FROM orders' });
    expect(ok.json.rows).toEqual([[5]]);
  });

  it('applies to every format: before the first row it is still a JSON 504', async () => {
    for (const format of ['ndjson', 'csv', 'parquet']) {
      await eventuallyOk();
      const r = await h.query({ sql: SLOW, format });
      expect(r.status, format).toBe(504);
      expect(r.json.code).toBe('AIDA_QUERY_TIMEOUT');
    }
    // The interrupted exports left no spool behind (removed a moment after the answer).
    const scratch = join(h.t.dataDir, 'tmp', 'query');
    const left = async () => (existsSync(scratch) ? (await readdir(scratch)).filter((f) => f.endsWith('.spool')) : []);
    for (const until = Date.now() + 5000; (await left()).length && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
    expect(await left()).toEqual([]);
  });

  it('cuts a stream off when the budget runs out part-way', async () => {
    await eventuallyOk();
    // The first rows come within a quarter second; all of them would take ~30 s of engine time.
    const res = await post({ sql: 'SELECT x FROM range(10000000) t(x) WHERE list_sum(range(x % 500)) >= 0', format: 'ndjson' });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    await eventuallyOk();
  });
});

describe('POST /api/query: JSON size', () => {
  it('refuses a JSON answer over the size cap and points to the streaming formats', async () => {
    await eventuallyOk();
    const r = await h.query({ sql: "SELECT range, repeat('x', 50) AS pad FROM range(20000)", limit: 20000 });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('AIDA_QUERY_RESULT_TOO_LARGE');
    expect(r.json.message).toMatch(/ndjson, csv or parquet/);
    const streamed = await h.query({ sql: "SELECT range, repeat('x', 50) AS pad FROM range(20000)", format: 'csv' });
    expect(streamed.status).toBe(200);
    expect(streamed.text.split('\n')).toHaveLength(20002);
  });
});

describe('POST /api/query: concurrency cap', () => {
  it('answers 429 with Retry-After while every slot is busy', async () => {
    await eventuallyOk();
    const slow = h.query({ sql: SLOW });
    let busy;
    for (let i = 0; i < 100; i++) {
      const r = await h.query({ sql: 'SELECT 1' });
      if (r.status === 429) {
        busy = r;
        break;
      }
      await new Promise((res) => setTimeout(res, 10));
    }
    expect(busy, 'a concurrent query was refused').toBeDefined();
    expect(busy!.json.code).toBe('AIDA_QUERY_BUSY');
    expect(busy!.json.message).toMatch(/busy/);
    expect(Number(busy!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await slow).status).toBe(504);
    await eventuallyOk();
  });

  it('a client that goes away mid-stream frees its slot', async () => {
    await eventuallyOk();
    const abort = new AbortController();
    // Minutes of output if it ran to the end.
    const res = await post({ sql: "SELECT range AS i, repeat('x', 200) AS pad FROM range(100000000)", format: 'ndjson' }, abort.signal);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.value!.byteLength).toBeGreaterThan(0);
    abort.abort();
    await reader.cancel().catch(() => undefined);
    await eventuallyOk(10_000);
  });
});
