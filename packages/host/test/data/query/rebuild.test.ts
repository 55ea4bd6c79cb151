import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQueryHost, type QueryHost } from './helpers.js';

let h: QueryHost;

beforeAll(async () => {
  // A generous queue wait: on a loaded machine a query may wait behind 50 rebuilds' worth of work.
  h = await startQueryHost({ query: { queue_wait: '30s' } });
});
afterAll(async () => {
  await h?.stop();
});

describe('POST /api/query during analytics rebuilds', () => {
  it('8 clients querying in a loop while 50 rebuilds run: no failed query, every answer right', async () => {
    const queries: { body: Record<string, unknown>; check: (text: string, json: any) => void }[] = [
      {
        body: { sql: 'SELECT c.name, count(*) AS n, sum(o.amount) AS total FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY ALL ORDER BY c.name' },
        check: (_t, j) => expect(j.rows).toEqual([['Alice', 2, 10.5], ['Bob', 1, 20], ['Carol', 1, 40.25], ['Dave', 1, 50]]),
      },
      { body: { sql: 'SELECT count(*) FROM orders' }, check: (_t, j) => expect(j.rows).toEqual([[5]]) },
      { body: { sql: 'SELECT id FROM customers ORDER BY id', format: 'ndjson' }, check: (t) => expect(t).toBe('{"id":1}\n{"id":2}\n{"id":3}\n{"id":4}\n') },
      { body: { sql: 'SELECT id, status FROM orders ORDER BY id', format: 'csv' }, check: (t) => expect(t.split('\n')).toHaveLength(7) },
    ];
    let rebuilding = true;
    let ok = 0;
    const failures: string[] = [];
    const client = async (n: number) => {
      for (let i = 0; rebuilding || i < 3; i++) {
        const q = queries[(n + i) % queries.length];
        const r = await h.query(q.body);
        try {
          expect(r.status, r.text).toBe(200);
          q.check(r.text, r.json);
          ok++;
        } catch (e) {
          failures.push(`${r.status} ${(e as Error).message.slice(0, 300)}`);
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, n) => client(n));
    let rebuilds = 0;
    try {
      for (let i = 0; i < 50; i++) {
        await h.t.host.orchestrator.rebuild();
        rebuilds++;
      }
    } finally {
      rebuilding = false;
    }
    await Promise.all(clients);
    expect(rebuilds).toBe(50);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThanOrEqual(8 * 3);
    console.log(`${ok} queries answered during ${rebuilds} rebuilds`);
  }, 120_000);
});
