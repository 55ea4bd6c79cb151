import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { localFilesPlugin } from '../../../src/local-files/plugin.js';
import { bootstrap, call, userWithSession } from '../../identity/helpers.js';

// A small table whose statistics are worked out by hand below.
const ORDERS = `id,customer,amount,qty,status,ordered_on,paid
1,alice,10.5,1,paid,2024-01-05,true
2,bob,20.0,2,paid,2024-01-20,true
3,alice,,3,pending,2024-02-10,false
4,carol,40.25,0,paid,2024-02-11,true
5,dave,50.0,0,cancelled,2024-04-15,
`;

/** Sample standard deviation, computed here rather than trusted from the engine under test. */
function stddev(xs: number[]): number {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1));
}

/** Linear-interpolation percentile (the definition quantile_cont uses), by hand. */
function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * p;
  const lo = Math.floor(pos);
  return s[lo] + (pos - lo) * ((s[lo + 1] ?? s[lo]) - s[lo]);
}

let root: string;
let folder: string;
let dataDir: string;
let t: TestHost;
let admin: string;
let viewer: { id: string; token: string };
let analyst: { id: string; token: string };

// No background re-profiling after syncs: these tests decide when a profile is computed.
const start = () => startTestHost({ dataDir, plugins: [{ plugin: localFilesPlugin, config: { sources: [{ name: 'shop', path: folder }] } }], config: { analytics: { profile_after_rebuild: false } } });
const profileOf = (name: string, token: string) => call(t, 'GET', `/api/catalog/profile/${encodeURIComponent(name)}`, { token });
const col = (profile: { columns: { name: string }[] }, name: string) => profile.columns.find((c) => c.name === name) as Record<string, any>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aida-profiles-'));
  folder = join(root, 'files');
  dataDir = join(root, 'data');
  await mkdir(folder);
  await writeFile(join(folder, 'orders.csv'), ORDERS);
  await writeFile(join(folder, 'weird.csv'), `"order id","it's ""quoted""",čísla 数字,select,group\n1,a,1.5,x,true\n2,b,2.5,y,false\n3,a,3.5,x,true\n`);
  await writeFile(join(folder, 'empty.csv'), 'a,b\n');
  t = await start();
  const r = await t.host.syncSource('shop');
  if (r.error) throw new Error(r.error);
  admin = await bootstrap(t);
  viewer = await userWithSession(t, admin, 'viewer@example.com', 'viewer');
  analyst = await userWithSession(t, admin, 'analyst@example.com', 'analyst');
});
afterAll(async () => {
  await t?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('GET /api/catalog/profile/:name', () => {
  it('computes exact statistics of a small CSV on first request', async () => {
    const r = await profileOf('orders', viewer.token);
    expect(r.status).toBe(200);
    const p = r.json;
    expect(p).toMatchObject({ table: 'orders', rows: 5, sampled: false, sample_size: null, scans: 2 });
    expect(p.columns.map((c: { name: string }) => c.name)).toEqual(['id', 'customer', 'amount', 'qty', 'status', 'ordered_on', 'paid']);

    const id = col(p, 'id');
    expect(id).toMatchObject({ kind: 'numeric', null_count: 0, null_pct: 0, distinct_count: 5, distinct_approx: false, min: 1, max: 5, mean: 3, zeros_count: 0 });
    expect(id.stddev).toBeCloseTo(Math.sqrt(2.5), 10);
    expect(id.percentiles).toEqual({ p5: expect.closeTo(1.2, 10), p25: 2, p50: 3, p75: 4, p95: expect.closeTo(4.8, 10) });
    // Five integer values: one bin per value, (v - 1, v].
    expect(id.histogram).toEqual([1, 2, 3, 4, 5].map((v) => ({ lower: v - 1, upper: v, count: 1 })));

    const amounts = [10.5, 20, 40.25, 50];
    const amount = col(p, 'amount');
    expect(amount).toMatchObject({ type: 'DOUBLE', null_count: 1, null_pct: 20, distinct_count: 4, min: 10.5, max: 50, zeros_count: 0, nan_count: 0, inf_count: 0 });
    expect(amount.mean).toBeCloseTo(30.1875, 10);
    expect(amount.stddev).toBeCloseTo(stddev(amounts), 10);
    for (const [k, q] of [['p5', 0.05], ['p25', 0.25], ['p50', 0.5], ['p75', 0.75], ['p95', 0.95]] as const) expect(amount.percentiles[k]).toBeCloseTo(percentile(amounts, q), 10);
    // Ten bins of width 3.95 from 10.5: 10.5 → 0, 20 → 2, 40.25 → 7, 50 → 9.
    expect(amount.histogram.map((b: { count: number }) => b.count)).toEqual([1, 0, 1, 0, 0, 0, 0, 1, 0, 1]);
    expect(amount.histogram[0].lower).toBe(10.5);
    expect(amount.histogram[0].upper).toBeCloseTo(14.45, 10);
    expect(amount.histogram[9].upper).toBe(50);

    const qty = col(p, 'qty');
    expect(qty).toMatchObject({ min: 0, max: 3, mean: 1.2, zeros_count: 2, distinct_count: 4 });
    expect(qty.histogram.map((b: { upper: number; count: number }) => [b.upper, b.count])).toEqual([[0, 2], [1, 1], [2, 1], [3, 1]]);

    const customer = col(p, 'customer');
    expect(customer).toMatchObject({ kind: 'string', distinct_count: 4, min: 'alice', max: 'dave', min_length: 3, max_length: 5, mean_length: 4.4, empty_count: 0 });
    expect(customer.top_values).toEqual([{ value: 'alice', count: 2 }, { value: 'bob', count: 1 }, { value: 'carol', count: 1 }, { value: 'dave', count: 1 }]);
    expect(col(p, 'status').top_values).toEqual([{ value: 'paid', count: 3 }, { value: 'cancelled', count: 1 }, { value: 'pending', count: 1 }]);

    const ordered = col(p, 'ordered_on');
    expect(ordered).toMatchObject({ kind: 'temporal', type: 'DATE', min: '2024-01-05', max: '2024-04-15', distinct_count: 5, histogram_unit: 'month' });
    expect(ordered.histogram).toEqual([{ period: '2024-01', count: 2 }, { period: '2024-02', count: 2 }, { period: '2024-04', count: 1 }]);

    expect(col(p, 'paid')).toMatchObject({ kind: 'boolean', true_count: 3, false_count: 1, null_count: 1, null_pct: 20, distinct_count: 2 });

    // status's top value is exactly 60 %: not over the imbalance threshold; paid's is 75 %.
    expect(p.alerts.map((a: { column: string; type: string }) => `${a.column}:${a.type}`).sort()).toEqual([
      'amount:missing', 'id:unique', 'ordered_on:unique', 'paid:imbalance', 'paid:missing',
    ]);
    expect(p.alerts.find((a: { column: string; type: string }) => a.type === 'imbalance')).toMatchObject({ column: 'paid', value: 75 });
  });

  it('handles weird column names from a CSV header and an empty table', async () => {
    const weird = (await profileOf('weird', admin)).json;
    expect(weird.columns.map((c: { name: string }) => c.name)).toEqual(['order id', `it's "quoted"`, 'čísla 数字', 'select', 'group']);
    expect(col(weird, 'order id')).toMatchObject({ min: 1, max: 3, mean: 2 });
    expect(col(weird, `it's "quoted"`).top_values).toEqual([{ value: 'a', count: 2 }, { value: 'b', count: 1 }]);
    expect(col(weird, 'čísla 数字')).toMatchObject({ min: 1.5, max: 3.5, mean: 2.5 });
    expect(col(weird, 'select').top_values).toEqual([{ value: 'x', count: 2 }, { value: 'y', count: 1 }]);
    expect(col(weird, 'group')).toMatchObject({ true_count: 2, false_count: 1 });

    const empty = await profileOf('empty', admin);
    expect(empty.status).toBe(200);
    expect(empty.json).toMatchObject({ table: 'empty', rows: 0, alerts: [] });
    expect(empty.json.columns.map((c: { name: string; null_count: number }) => [c.name, c.null_count])).toEqual([['a', 0], ['b', 0]]);
  });

  it('an unknown table is 403 like a private one (404 only for an admin), 401 without a session', async () => {
    const r = await profileOf('no_such_table', viewer.token);
    expect(r.status).toBe(403);
    expect(r.json.code).toBe('AIDA_TABLE_FORBIDDEN');
    const asAdmin = await profileOf('no_such_table', admin);
    expect(asAdmin.status).toBe(404);
    expect(asAdmin.json.code).toBe('AIDA_TABLE_NOT_FOUND');
    expect((await t.request('/api/catalog/profile/orders')).status).toBe(401);
  });

  it('a private table: 403 without a grant (before 404 and before computing), 200 after a bucket.* grant', async () => {
    expect((await call(t, 'PUT', '/api/admin/registry/weird', { token: admin, body: { is_public: false } })).status).toBe(200);
    try {
      const denied = await profileOf('weird', viewer.token);
      expect(denied.status).toBe(403);
      expect(denied.json.code).toBe('AIDA_TABLE_FORBIDDEN');
      expect((await call(t, 'POST', '/api/catalog/profile/weird/refresh', { token: analyst.token })).status).toBe(403);
      expect((await call(t, 'POST', '/api/admin/permissions', { token: admin, body: { user_id: viewer.id, dataset: 'shop.*' } })).status).toBeLessThan(300);
      const allowed = await profileOf('weird', viewer.token);
      expect(allowed.status).toBe(200);
      expect(allowed.json.table).toBe('weird');
      // Table names are case-insensitive, as table ids are.
      expect((await profileOf('WEIRD', viewer.token)).json.table).toBe('weird');
    } finally {
      await call(t, 'PUT', '/api/admin/registry/weird', { token: admin, body: { is_public: true } });
    }
  });
});

describe('POST /api/catalog/profiles (stored profiles in bulk)', () => {
  const bulk = (tables: unknown, token: string) => call(t, 'POST', '/api/catalog/profiles', { token, body: { tables } });

  it('answers the stored profiles the GET serves; unknown, unreadable and never profiled tables are missing alike', async () => {
    const orders = (await profileOf('orders', analyst.token)).json;
    const r = await bulk(['orders', 'nope', 'weird'], analyst.token);
    expect(r.status).toBe(200);
    expect(r.json.profiles.orders).toEqual(orders);
    expect(Object.keys(r.json.profiles).sort()).toEqual(['orders', 'weird']);
    expect(r.json.missing).toEqual(['nope']);
    expect((await call(t, 'PUT', '/api/admin/registry/weird', { token: admin, body: { is_public: false } })).status).toBe(200);
    try {
      // The analyst has no grant on the private table: it is missing, like a table that does not exist.
      const hidden = await bulk(['weird', 'orders'], analyst.token);
      expect(Object.keys(hidden.json.profiles)).toEqual(['orders']);
      expect(hidden.json.missing).toEqual(['weird']);
    } finally {
      await call(t, 'PUT', '/api/admin/registry/weird', { token: admin, body: { is_public: true } });
    }
  });

  it('refuses an empty or oversized list, and callers without a session', async () => {
    expect((await bulk([], analyst.token)).status).toBe(400);
    expect((await bulk(Array.from({ length: 1001 }, (_, i) => `t${i}`), analyst.token)).status).toBe(400);
    expect((await call(t, 'POST', '/api/catalog/profiles', { body: { tables: ['orders'] } })).status).toBe(401);
  });
});

describe('POST /api/catalog/profile/:name/refresh', () => {
  it('needs the analyst role', async () => {
    expect((await call(t, 'POST', '/api/catalog/profile/orders/refresh', { token: viewer.token })).status).toBe(403);
    expect((await call(t, 'POST', '/api/catalog/profile/no_such_table/refresh', { token: analyst.token })).status).toBe(403);
    expect((await call(t, 'POST', '/api/catalog/profile/no_such_table/refresh', { token: admin })).status).toBe(404);
  });

  it('recomputes after the data changed; until then the stored profile is served, marked stale', async () => {
    const before = (await profileOf('orders', analyst.token)).json;
    expect(before.rows).toBe(5);
    await writeFile(join(folder, 'orders.csv'), `${ORDERS}6,erin,60.0,4,paid,2024-05-01,true\n`);
    const synced = await t.host.syncSource('shop');
    expect(synced.error).toBeFalsy();
    const stale = (await profileOf('orders', analyst.token)).json;
    expect(stale).toMatchObject({ rows: 5, stale: true, profiled_at: before.profiled_at });
    const refreshed = await call(t, 'POST', '/api/catalog/profile/orders/refresh', { token: analyst.token });
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.rows).toBe(6);
    expect(refreshed.json.stale).toBeUndefined();
    expect(col(refreshed.json, 'amount').max).toBe(60);
    expect(col(refreshed.json, 'customer').distinct_count).toBe(5);
    const after = (await profileOf('orders', viewer.token)).json;
    expect(after).toMatchObject({ rows: 6, profiled_at: refreshed.json.profiled_at });
    expect(after.stale).toBeUndefined();
  });

  it('profiles persist in system.duckdb: after a restart they are served without recomputation', async () => {
    const served = (await profileOf('orders', admin)).json;
    // Read from the host's system database (DuckDB or PostgreSQL, as the test run says), then restart.
    const rows = await t.host.systemDb!.all<{ table_id: string; profile: string; profiled_at: Date }>(
      'SELECT table_id, profile::VARCHAR AS profile, profiled_at FROM table_profiles ORDER BY table_id',
    );
    expect(rows.map((r) => r.table_id)).toEqual(['empty', 'orders', 'weird']);
    const stored = JSON.parse(rows[1]!.profile);
    expect(stored).toMatchObject({ table: 'orders', rows: 6, profiled_at: served.profiled_at, fingerprint: served.fingerprint });
    expect(rows[1]!.profiled_at.toISOString()).toBe(served.profiled_at);
    await t.stop();
    t = await start();
    admin = (await call(t, 'POST', '/auth/token', { body: { email: 'root@example.com', password: 'root-password-1' } })).json.access_token;
    const again = (await profileOf('orders', admin)).json;
    expect(again).toEqual(served);
  });
});
