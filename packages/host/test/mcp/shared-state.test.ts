// What hosted agents keep in the system database so any host can take their next step: the
// OAuth authorizations and codes (single use, expiring, bounded) and the query results the
// query tool pages (bounded, read a few chunks at a time). On the backend AIDA_TEST_STATE names.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPage, type QueryRows } from '@aida/core';
import { SharedResultPages } from '../../src/mcp/kept-results.js';
import { ExpiringRows } from '../../src/oauth/pending.js';
import type { SystemDb } from '../../src/state/system-db.js';
import { openTestSystemDb } from '../../src/testing/test-state.js';

let dir: string;
let db: SystemDb;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aida-mcp-shared-'));
  ({ db, cleanup } = await openTestSystemDb(dir));
});
afterAll(async () => {
  await cleanup?.();
  await rm(dir, { recursive: true, force: true });
});

describe('OAuth steps in the system database', () => {
  it('takes an entry once: the second take (as from another host) finds nothing', async () => {
    const codes = new ExpiringRows<{ grantId: string }>(db, { kind: 'code', ttlMs: 60_000, max: 10 });
    const key = await codes.add({ grantId: 'g1' });
    expect(await codes.get(key)).toEqual({ grantId: 'g1' });
    const [first, second] = await Promise.all([codes.take(key), codes.take(key)]);
    expect([first, second].filter(Boolean)).toEqual([{ grantId: 'g1' }]);
    expect(await codes.get(key)).toBeUndefined();
  });

  it('stores digests of the keys, keeps kinds apart, and forgets expired entries', async () => {
    const consents = new ExpiringRows<{ n: number }>(db, { kind: 'consent', ttlMs: 60_000, max: 10 });
    const codes = new ExpiringRows<{ n: number }>(db, { kind: 'code', ttlMs: 60_000, max: 10 });
    const key = await consents.add({ n: 1 });
    expect(await codes.take(key)).toBeUndefined();
    const rows = await db.all<{ id_hash: string }>('SELECT id_hash FROM mcp_oauth_pending');
    expect(rows.map((r) => r.id_hash)).not.toContain(key);
    const gone = new ExpiringRows<{ n: number }>(db, { kind: 'consent', ttlMs: 0, max: 10 });
    const expired = await gone.add({ n: 2 });
    expect(await gone.get(expired)).toBeUndefined();
    expect(await gone.take(expired)).toBeUndefined();
    expect(await consents.take(key)).toEqual({ n: 1 });
  });

  it('holds at most `max` entries of a kind: the oldest go first', async () => {
    const few = new ExpiringRows<{ n: number }>(db, { kind: 'bounded', ttlMs: 60_000, max: 3 });
    const keys: string[] = [];
    for (let n = 0; n < 5; n++) keys.push(await few.add({ n }));
    const [{ count }] = await db.all<{ count: number }>("SELECT count(*) AS count FROM mcp_oauth_pending WHERE kind = 'bounded'");
    expect(Number(count)).toBe(3);
    expect(await few.get(keys[0]!)).toBeUndefined();
    expect(await few.get(keys[4]!)).toEqual({ n: 4 });
  });
});

const resultOf = (n: number, width = 10): QueryRows => ({
  columns: [{ name: 'id', type: 'INTEGER' }],
  rows: Array.from({ length: n }, (_, i) => JSON.stringify([i, 'x'.repeat(width)])),
});

describe('query results kept in the system database', () => {
  it('gives every page of a result exactly as from memory, reading only the chunks a page needs', async () => {
    const pages = new SharedResultPages(db);
    const result = resultOf(60_000, 20);
    const key = pages.newKey();
    await pages.keep(key, result);
    const budget = 50_000;
    let offset = 0;
    let n = 0;
    while (offset < result.rows.length) {
      const kept = (await pages.page(key, offset, budget))!;
      // filter() skips the holes: the rows read from the database.
      expect(kept.rows.filter(() => true).length).toBeLessThan(result.rows.length / 2);
      const page = queryPage(kept, { key, offset, budget });
      expect(page.text).toBe(queryPage(result, { key, offset, budget }).text);
      offset += page.structured.row_count;
      n++;
    }
    expect(n).toBeGreaterThan(20);
    expect(await pages.page('never-kept', 0, budget)).toBeUndefined();
  });

  it('keeps at most maxResults and maxChars: the least recently read go first', async () => {
    const pages = new SharedResultPages(db, { maxResults: 2, maxChars: 1_000_000 });
    const [k1, k2, k3] = [pages.newKey(), pages.newKey(), pages.newKey()];
    await pages.keep(k1, resultOf(100));
    await pages.keep(k2, resultOf(100));
    expect(await pages.page(k1, 0, 1000)).toBeDefined(); // k1 read last: k2 goes first
    await pages.keep(k3, resultOf(100));
    expect(await pages.page(k2, 0, 1000)).toBeUndefined();
    expect(await pages.page(k1, 0, 1000)).toBeDefined();
    expect(await pages.page(k3, 0, 1000)).toBeDefined();
    const big = pages.newKey();
    await pages.keep(big, resultOf(30_000, 30));
    expect(await pages.page(big, 0, 1000)).toBeDefined();
    expect(await pages.page(k1, 0, 1000)).toBeUndefined();
    const [{ left }] = await db.all<{ left: number }>('SELECT count(*) AS left FROM mcp_result_chunks WHERE result_key IN (?, ?)', [k1, k2]);
    expect(Number(left)).toBe(0);
  });

  it('drops a result not read for ttlMs', async () => {
    // Past its time the moment it is kept (a ttl of 0 could meet a read in the same millisecond).
    const pages = new SharedResultPages(db, { ttlMs: -1 });
    const key = pages.newKey();
    await pages.keep(key, resultOf(10));
    expect(await pages.page(key, 0, 1000)).toBeUndefined();
  });
});
