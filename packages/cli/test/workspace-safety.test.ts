// What `da sync` must never do to the workspace: mix old and new parts of a table, touch the
// analyst's own tables or views (whatever their case), or keep another server's tables.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daWorkspace, startDaHost, writeTables, type DaHost } from './helpers.js';
import { startProxy, type Proxy } from './proxy.js';

const events = (base: number) => ({
  sql: '',
  parts: [
    { part: '2026-01', sql: `SELECT ${base} + range AS id FROM range(1000)` },
    { part: '2026-02', sql: `SELECT ${base} + 1000 + range AS id FROM range(1000)` },
  ],
});

describe('da sync of a partitioned table', () => {
  let h: DaHost;
  let proxy: Proxy;
  beforeAll(async () => {
    h = await startDaHost({ events: events(0) });
    proxy = await startProxy(h.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await h?.stop();
  });

  it('replaces the table whole or not at all when one part fails, and reuses the verified part next time', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', proxy.url, '--token', h.analystToken]);
      expect((await ws.run(['sync'])).code).toBe(0);
      const sum = async () => (await ws.run(['query', 'SELECT sum(id) AS s FROM events', '--json'])).json<{ rows: number[][] }>().rows[0][0];
      const before = await sum();
      expect(before).toBe((1999 * 2000) / 2);

      await writeTables(h.t.dataDir, 'shop', { events: events(1_000_000) });
      await h.t.host.orchestrator.rebuild();
      // One part fails, the other arrives: file by file (a failed bulk answer is retried singly).
      proxy.missingRoutes = ['/api/sync/download'];
      proxy.fail503 = 1;
      const broken = await ws.run(['sync', '--json'], { env: { DA_RETRIES: '0' } });
      expect(broken.code).toBe(6); // a server error, reported as such
      const r = broken.json<{ fetched: unknown[]; failed: { table: string }[] }>();
      expect(r.failed).toEqual([expect.objectContaining({ table: 'events' })]);
      expect(r.fetched).toHaveLength(1);
      // Still the old data, from old parts only; the new verified part waits as a .part file.
      expect(await sum()).toBe(before);
      const names = await readdir(join(ws.dir, 'server', 'parquet', 'events'));
      expect(names.filter((n) => n.endsWith('.part'))).toHaveLength(1);

      proxy.requests.length = 0;
      const fixed = await ws.run(['sync', '--json']);
      expect(fixed.code, fixed.stderr).toBe(0);
      expect(proxy.requests.filter((q) => q.path.startsWith('/api/data/'))).toHaveLength(1);
      expect(await sum()).toBe(2 * 1_000_000 * 1000 + (1999 * 2000) / 2);
      expect((await readdir(join(ws.dir, 'server', 'parquet', 'events'))).sort()).toEqual(['2026-01.parquet', '2026-02.parquet']);
    } finally {
      proxy.missingRoutes = [];
      await ws.cleanup();
    }
  });
});

describe("da sync and the analyst's own objects", () => {
  let h: DaHost;
  beforeAll(async () => {
    h = await startDaHost({ orders: { sql: 'SELECT 1 AS id' }, customers: { sql: 'SELECT 1 AS id' }, notes: { sql: 'SELECT 1 AS id' } });
  });
  afterAll(() => h?.stop());

  it('never replaces a table or view of theirs, whatever the case of its name, nor drops their view of a removed table', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', h.url, '--token', h.analystToken]);
      expect((await ws.run(['sync'])).code).toBe(0);
      for (const sql of [
        'DROP VIEW orders',
        'CREATE TABLE "Orders" AS SELECT 42 AS mine',
        'DROP VIEW customers',
        'CREATE VIEW customers AS SELECT 43 AS mine',
        'DROP VIEW notes',
        'CREATE VIEW notes AS SELECT 44 AS mine',
      ])
        expect((await ws.run(['query', sql])).code).toBe(0);

      await writeTables(h.t.dataDir, 'shop', { orders: { sql: 'SELECT 2 AS id' }, customers: { sql: 'SELECT 2 AS id' } }, ['notes']);
      await h.t.host.orchestrator.rebuild();
      const s = await ws.run(['sync', '--json']);
      expect(s.code, s.stderr + s.stdout).toBe(0);
      const r = s.json<{ removed: string[]; views: { shadowed: string[]; dropped: string[] } }>();
      expect(r.views.shadowed.sort()).toEqual(['customers', 'orders']);
      expect(r.removed).toEqual(['notes']);
      expect(r.views.dropped).toEqual([]);
      const mine = await ws.run(['query', 'SELECT (SELECT mine FROM orders), (SELECT mine FROM customers), (SELECT mine FROM notes)', '--json']);
      expect(mine.json<{ rows: number[][] }>().rows).toEqual([[42, 43, 44]]);
      // --rebuild-views recreates da's views only.
      const again = await ws.run(['sync', '--rebuild-views', '--json']);
      expect(again.json<{ views: { created: string[]; shadowed: string[] } }>().views).toMatchObject({ created: [], shadowed: ['customers', 'orders'] });
    } finally {
      await ws.cleanup();
    }
  });
});

describe('da sync after switching servers', () => {
  it("removes the first server's tables the second one does not list", async () => {
    const a = await startDaHost({ alpha: { sql: 'SELECT 1 AS id' }, shared: { sql: 'SELECT 1 AS id' } });
    const b = await startDaHost({ beta: { sql: 'SELECT 2 AS id' }, shared: { sql: 'SELECT 1 AS id' } });
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', a.url, '--token', a.analystToken]);
      expect((await ws.run(['sync'])).code).toBe(0);
      await ws.run(['login', '--server', b.url, '--token', b.analystToken]);
      const s = await ws.run(['sync', '--json']);
      expect(s.code, s.stderr).toBe(0);
      expect(s.stderr).toMatch(/was synced from .*every file is verified again/);
      const r = s.json<{ removed: string[]; fetched: { table: string }[] }>();
      expect(r.removed).toEqual(['alpha']);
      // `shared` has the same bytes on both: verified by its MD5 and kept, not fetched again.
      expect(r.fetched.map((f) => f.table)).toEqual(['beta']);
      expect((await readdir(join(ws.dir, 'server', 'parquet'))).sort()).toEqual(['beta.parquet', 'shared.parquet']);
    } finally {
      await ws.cleanup();
      await a.stop();
      await b.stop();
    }
  });
});
