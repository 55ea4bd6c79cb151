import { readFile, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daWorkspace, startDaHost, writeTables, type DaHost } from './helpers.js';

const md5 = async (p: string) =>
  createHash('md5')
    .update(await readFile(p))
    .digest('hex');

describe('da sync against a real host', () => {
  let h: DaHost;
  beforeAll(async () => {
    h = await startDaHost({
      orders: { sql: 'SELECT range AS id, range % 7 AS customer, range * 1.5 AS amount FROM range(5000)' },
      customers: { sql: "SELECT range AS id, 'c' || range AS name FROM range(7)" },
      events: {
        sql: '',
        parts: [
          { part: '2026-01', sql: 'SELECT 1 AS id' },
          { part: '2026-02', sql: 'SELECT 2 AS id UNION ALL SELECT 3' },
        ],
      },
    });
  });
  afterAll(() => h?.stop());

  it('downloads every table, verifies it against the manifest and builds views; a second sync transfers nothing', async () => {
    const ws = await daWorkspace();
    try {
      const login = await ws.run(['login', '--server', h.url, '--token', h.analystToken, '--json']);
      expect(login.code, login.stderr + login.stdout).toBe(0);
      const first = await ws.run(['sync', '--json']);
      expect(first.code, first.stderr + first.stdout).toBe(0);
      const r1 = first.json<{ tables: number; fetched: { table: string }[]; views: { created: string[] } }>();
      expect(r1.tables).toBe(3);
      expect(r1.fetched.map((f) => f.table).sort()).toEqual(['customers', 'events', 'events', 'orders']);
      expect(r1.views.created.sort()).toEqual(['customers', 'events', 'orders']);

      const manifest = (await (await fetch(`${h.url}/api/sync/manifest`, { headers: { authorization: `Bearer ${h.analystToken}` } })).json()) as {
        tables: Record<string, { hash: string; parts?: { part: string; hash: string }[] }>;
      };
      expect(await md5(join(ws.dir, 'server/parquet/orders.parquet'))).toBe(manifest.tables.orders.hash);
      for (const p of manifest.tables.events.parts!) expect(await md5(join(ws.dir, `server/parquet/events/${p.part}.parquet`))).toBe(p.hash);

      const q = await ws.run(['query', 'SELECT count(*) AS n, sum(id) AS s FROM orders JOIN customers USING (id)', '--json']);
      expect(q.code, q.stderr).toBe(0);
      expect(q.json<{ rows: unknown[][] }>().rows).toEqual([[7, 21]]);
      const ev = await ws.run(['query', 'SELECT id FROM events ORDER BY id', '-f', 'csv']);
      expect(ev.stdout).toBe('id\n1\n2\n3\n');
      const typed = await ws.run(['query', "SELECT DATE '2025-01-02' AS d, INTERVAL 3 DAY AS i, 9007199254740993::BIGINT AS big", '--json']);
      expect(typed.json<{ rows: unknown[][] }>().rows).toEqual([['2025-01-02', '3 days', '9007199254740993']]);

      const second = await ws.run(['sync', '--json']);
      expect(second.code).toBe(0);
      const r2 = second.json<{ fetched: unknown[]; bytes_transferred: number; up_to_date: number; views: { created: string[] } }>();
      expect(r2.fetched).toEqual([]);
      expect(r2.bytes_transferred).toBe(0);
      expect(r2.up_to_date).toBe(3);
      expect(r2.views.created).toEqual([]);
    } finally {
      await ws.cleanup();
    }
  });

  it('detects a corrupted local Parquet file and fetches it again', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', h.url, '--token', h.analystToken]);
      expect((await ws.run(['sync'])).code).toBe(0);
      const file = join(ws.dir, 'server/parquet/orders.parquet');
      const good = await md5(file);
      const bytes = await readFile(file);
      bytes[Math.floor(bytes.length / 2)] ^= 0xff; // same size, different bytes
      await writeFile(file, bytes);
      expect(await md5(file)).not.toBe(good);
      const again = await ws.run(['sync', '--json']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.json<{ fetched: { table: string; reason: string }[] }>().fetched).toEqual([expect.objectContaining({ table: 'orders', reason: 'corrupt' })]);
      expect(await md5(file)).toBe(good);
    } finally {
      await ws.cleanup();
    }
  });

  it('keeps a table the analyst created in the local DuckDB, and updates the views of changed tables', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', h.url, '--token', h.analystToken]);
      expect((await ws.run(['sync'])).code).toBe(0);
      const mine = await ws.run(['query', 'CREATE TABLE my_summary AS SELECT customer, sum(amount) AS total FROM orders GROUP BY customer']);
      expect(mine.code, mine.stderr).toBe(0);
      // The analyst also names a table like a synced one: it must not be replaced either.
      await ws.run(['query', 'DROP VIEW customers']);
      await ws.run(['query', "CREATE TABLE customers AS SELECT 'mine' AS name"]);

      await writeTables(h.t.dataDir, 'shop', {
        customers: { sql: "SELECT range AS id, 'n' || range AS name FROM range(9)" },
        orders: { sql: 'SELECT range AS id, 0 AS customer, 1.0 AS amount FROM range(10)' },
      });
      await h.t.host.orchestrator.rebuild();
      const s = await ws.run(['sync', '--json']);
      expect(s.code, s.stderr).toBe(0);
      expect(s.json<{ views: { shadowed: string[] } }>().views.shadowed).toEqual(['customers']);
      expect(s.stderr).toMatch(/your table 'customers'/);
      const check = await ws.run([
        'query',
        'SELECT (SELECT count(*) FROM my_summary) AS mine, (SELECT count(*) FROM orders) AS orders, (SELECT name FROM customers) AS c',
        '--json',
      ]);
      expect(check.json<{ rows: unknown[][] }>().rows).toEqual([[7, 10, 'mine']]);
    } finally {
      await ws.cleanup();
    }
  });

  it('saves the profiles the manifest lists for explore offline, and refetches one only when it was recomputed', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', h.url, '--token', h.analystToken]);
      const refresh = () => fetch(`${h.url}/api/catalog/profile/customers/refresh`, { method: 'POST', headers: { authorization: `Bearer ${h.analystToken}` } });
      expect((await refresh()).status).toBe(200);
      const s1 = await ws.run(['sync', '--json']);
      expect(s1.json<{ profiles: { saved: number } }>().profiles.saved).toBeGreaterThanOrEqual(1);
      const profilesOf = async () =>
        (
          JSON.parse(await readFile(join(ws.dir, 'server/profiles.json'), 'utf8')) as {
            format: number;
            profiles: Record<string, { table: string; rows: number; profiled_at: string }>;
          }
        ).profiles;
      const saved = (await profilesOf()).customers;
      expect(saved).toMatchObject({ table: 'customers', rows: expect.any(Number) });
      const s2 = await ws.run(['sync', '--json']);
      expect(s2.json<{ profiles: { saved: number } }>().profiles.saved).toBe(0);
      await new Promise((r) => setTimeout(r, 5));
      expect((await refresh()).status).toBe(200);
      const s3 = await ws.run(['sync', '--json']);
      expect(s3.json<{ profiles: { saved: number }; fetched: unknown[] }>()).toMatchObject({ profiles: { saved: 1 }, fetched: [] });
      const again = (await profilesOf()).customers;
      expect(again.profiled_at > saved.profiled_at).toBe(true);
      const ex = await ws.run(['explore', 'customers', '--json']);
      expect(ex.json<{ source: string }>().source).toBe('local');
    } finally {
      await ws.cleanup();
    }
  });

  it('--dry-run lists what would change and changes nothing; --table limits the sync', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', h.url, '--token', h.analystToken]);
      const dry = await ws.run(['sync', '--dry-run', '--json']);
      expect(dry.json<{ fetch: unknown[] }>().fetch).toHaveLength(4);
      await expect(stat(join(ws.dir, 'server'))).rejects.toThrow();
      const one = await ws.run(['sync', '--table', 'customers', '--json']);
      expect(one.json<{ fetched: { table: string }[] }>().fetched.map((f) => f.table)).toEqual(['customers']);
      const bad = await ws.run(['sync', '--table', 'nope', '--json']);
      expect(bad.code).toBe(2);
      expect(bad.json<{ error: { message: string } }>().error.message).toMatch(/'nope' not in your sync manifest/);
    } finally {
      await ws.cleanup();
    }
  });
});
