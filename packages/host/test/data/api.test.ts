import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost } from '@aida/host/testing';
import { call, userWithSession } from '../identity/helpers.js';
import { dataHost } from './fixtures.js';

let t: TestHost;
let admin: string;
let folders: Record<string, string>;
let analyst: { id: string; token: string };

beforeAll(async () => {
  ({ t, admin, folders } = await dataHost());
  analyst = await userWithSession(t, admin, 'analyst@example.com', 'analyst');
  // hr is private: only admins and grantees may read it.
  expect((await call(t, 'PUT', '/api/admin/registry/salaries', { token: admin, body: { is_public: false } })).status).toBe(200);
});
afterAll(() => t?.stop());

const download = (path: string, token: string, headers: Record<string, string> = {}) =>
  t.request(path, { headers: { authorization: `Bearer ${token}`, ...headers } });

describe('registry', () => {
  it('extracted tables are registered automatically; register, conflict, empty name, update and delete behave', async () => {
    const reg = await call(t, 'GET', '/api/admin/registry', { token: admin });
    expect(reg.json.tables.map((x: { id: string }) => x.id)).toEqual(['customers', 'orders', 'salaries']);
    expect(reg.json.tables[1]).toMatchObject({ id: 'orders', source_type: 'local', bucket: 'shop', is_public: true, registered_by: 'system' });
    const created = await call(t, 'POST', '/api/admin/register-table', { token: admin, body: { name: ' Sales Plan ', description: 'targets' } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: 'sales_plan', name: 'Sales Plan', sync_strategy: 'full_refresh', query_mode: 'local', is_public: true });
    expect((await call(t, 'POST', '/api/admin/register-table', { token: admin, body: { name: 'sales plan' } })).status).toBe(409);
    expect((await call(t, 'POST', '/api/admin/register-table', { token: admin, body: { name: '   ' } })).status).toBe(422);
    expect((await call(t, 'POST', '/api/admin/register-table', { token: admin, body: { name: 'x', sync_strategy: 'sometimes' } })).status).toBe(400);
    expect((await call(t, 'PUT', '/api/admin/registry/sales_plan', { token: admin, body: { description: 'new targets' } })).json.description).toBe('new targets');
    expect((await call(t, 'DELETE', '/api/admin/registry/sales_plan', { token: admin })).status).toBe(204);
    expect((await call(t, 'DELETE', '/api/admin/registry/sales_plan', { token: admin })).status).toBe(404);
    expect((await call(t, 'GET', '/api/admin/registry', { token: analyst.token })).status).toBe(403);
  });

  it('discover-tables lists what every connector can see', async () => {
    const d = await call(t, 'GET', '/api/admin/discover-tables', { token: admin });
    expect(d.json.tables.map((x: { name: string; source: string }) => `${x.source}.${x.name}`).sort()).toEqual(['hr.salaries', 'shop.customers', 'shop.orders']);
  });
});

describe('catalog', () => {
  it('lists only tables the caller may read, and answers 304 to its own ETag', async () => {
    const mine = await call(t, 'GET', '/api/catalog/tables', { token: analyst.token });
    expect(mine.json.tables.map((x: { id: string }) => x.id)).toEqual(['customers', 'orders']);
    expect(mine.json.tables[1]).toMatchObject({ id: 'orders', name: 'orders', source_type: 'local', sync_strategy: 'full_refresh', query_mode: 'local', rows: 500 });
    const all = await call(t, 'GET', '/api/catalog/tables', { token: admin });
    expect(all.json.count).toBe(3);
    const again = await download('/api/catalog/tables', analyst.token, { 'if-none-match': mine.headers.get('etag')! });
    expect(again.status).toBe(304);
  });
});

describe('downloads and the manifest', () => {
  it('the manifest hash is the MD5 of the downloaded bytes, and only readable tables are listed', async () => {
    const m = await call(t, 'GET', '/api/sync/manifest', { token: analyst.token });
    expect(Object.keys(m.json.tables).sort()).toEqual(['customers', 'orders']);
    expect(Date.parse(m.json.server_time)).not.toBeNaN();
    const res = await download('/api/data/orders/download', analyst.token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(createHash('md5').update(bytes).digest('hex')).toBe(m.json.tables.orders.hash);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(m.json.tables.orders.sha256);
    expect(bytes.length).toBe(m.json.tables.orders.size_bytes);
    expect(res.headers.get('etag')).toBe(`"${m.json.tables.orders.hash}"`);
  });

  it('If-None-Match → 304; Range → 206 with the right bytes; a bad range → 416', async () => {
    const full = Buffer.from(await (await download('/api/data/orders/download', analyst.token)).arrayBuffer());
    const etag = `"${createHash('md5').update(full).digest('hex')}"`;
    expect((await download('/api/data/orders/download', analyst.token, { 'if-none-match': etag })).status).toBe(304);
    const part = await download('/api/data/orders/download', analyst.token, { range: 'bytes=4-103' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 4-103/${full.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(full.subarray(4, 104))).toBe(true);
    const tail = await download('/api/data/orders/download', analyst.token, { range: 'bytes=-10' });
    expect(Buffer.from(await tail.arrayBuffer()).equals(full.subarray(full.length - 10))).toBe(true);
    expect((await download('/api/data/orders/download', analyst.token, { range: `bytes=${full.length + 5}-` })).status).toBe(416);
  });

  it('an unknown table is 403 like a private one; only an admin is told it does not exist (404)', async () => {
    expect((await download('/api/data/salaries/download', analyst.token)).status).toBe(403);
    expect((await download('/api/data/nope/download', analyst.token)).status).toBe(403);
    expect((await download('/api/data/nope/download', admin)).status).toBe(404);
    expect((await download('/api/data/orders/download', '')).status).toBe(401);
  });

  it('an analyst without a grant gets 403 on a private table and 200 after an admin grants <bucket>.*', async () => {
    expect((await download('/api/data/salaries/download', analyst.token)).status).toBe(403);
    expect((await call(t, 'POST', '/api/admin/permissions', { token: admin, body: { user_id: analyst.id, dataset: 'hr.*' } })).status).toBe(201);
    expect((await download('/api/data/salaries/download', analyst.token)).status).toBe(200);
    const m = await call(t, 'GET', '/api/sync/manifest', { token: analyst.token });
    expect(Object.keys(m.json.tables)).toContain('salaries');
    const cat = await call(t, 'GET', '/api/catalog/tables', { token: analyst.token });
    expect(cat.json.tables.map((x: { id: string }) => x.id)).toContain('salaries');
    await call(t, 'DELETE', '/api/admin/permissions', { token: admin, body: { user_id: analyst.id, dataset: 'hr.*' } });
    expect((await download('/api/data/salaries/download', analyst.token)).status).toBe(403);
  });

  it('sync settings and subscriptions filter the manifest', async () => {
    const viewer = await userWithSession(t, admin, 'subscriber@example.com', 'viewer');
    expect((await call(t, 'POST', '/api/sync/table-subscriptions', { token: viewer.token, body: { table_mode: 'explicit', tables: ['Orders'] } })).json).toEqual({ table_mode: 'explicit', tables: ['orders'] });
    expect(Object.keys((await call(t, 'GET', '/api/sync/manifest', { token: viewer.token })).json.tables)).toEqual(['orders']);
    await call(t, 'POST', '/api/sync/table-subscriptions', { token: viewer.token, body: { table_mode: 'all' } });
    expect((await call(t, 'POST', '/api/sync/settings', { token: viewer.token, body: { datasets: { shop: false } } })).json).toEqual({ datasets: { shop: false } });
    expect(Object.keys((await call(t, 'GET', '/api/sync/manifest', { token: viewer.token })).json.tables)).toEqual([]);
    expect((await call(t, 'POST', '/api/sync/settings', { token: viewer.token, body: { datasets: { shop: 'yes' } } })).status).toBe(400);
  });
});

describe('sync trigger', () => {
  it('queues extract → rebuild as a job; the new data shows in the manifest; unknown tables are a 400', async () => {
    const before = (await call(t, 'GET', '/api/sync/manifest', { token: admin })).json.tables.customers.hash;
    await writeFile(join(folders.shop, 'customers.csv'), 'customer,name\nc1,Ada\nc2,Ben\nc3,Cleo\n');
    const r = await call(t, 'POST', '/api/sync/trigger', { token: admin, body: ['customers'] });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 'triggered', tables: ['customers'], sources: ['shop'] });
    const deadline = Date.now() + 20_000;
    let after = before;
    while (after === before && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 200));
      after = (await call(t, 'GET', '/api/sync/manifest', { token: admin })).json.tables.customers.hash;
    }
    expect(after).not.toBe(before);
    expect((await call(t, 'GET', '/api/catalog/tables', { token: admin })).json.tables.find((x: { id: string }) => x.id === 'customers').rows).toBe(3);
    expect((await call(t, 'POST', '/api/sync/trigger', { token: admin, body: ['ghost_table'] })).status).toBe(400);
    expect((await call(t, 'POST', '/api/sync/trigger', { token: analyst.token })).status).toBe(403);
  });
});

describe('per-table schedules and sync history', () => {
  it('a table with a sync_schedule syncs on its own; clearing the schedule stops it; a bad schedule is refused', async () => {
    expect((await call(t, 'PUT', '/api/admin/registry/customers', { token: admin, body: { sync_schedule: 'not a schedule' } })).status).toBe(400);
    expect((await call(t, 'PUT', '/api/admin/registry/customers', { token: admin, body: { sync_schedule: '1 second' } })).status).toBe(200);
    const runs = async () => (await call(t, 'GET', '/api/admin/sync-history?table=customers&limit=1000', { token: admin })).json.items.length as number;
    const start = await runs();
    const deadline = Date.now() + 20_000;
    while ((await runs()) < start + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(await runs()).toBeGreaterThanOrEqual(start + 2);
    const history = (await call(t, 'GET', '/api/admin/sync-history?table=customers', { token: admin })).json.items;
    expect(history[0]).toMatchObject({ table_id: 'customers', source: 'shop', status: 'ok', rows: expect.any(Number), duration_ms: expect.any(Number), error: null });
    // Only the scheduled table was extracted, not the whole source.
    const orders = (await call(t, 'GET', '/api/admin/sync-history?table=orders&limit=1000', { token: admin })).json.items.length;
    expect(orders).toBeLessThan(await runs());
    expect((await call(t, 'PUT', '/api/admin/registry/customers', { token: admin, body: { sync_schedule: null } })).status).toBe(200);
    // A run already under way still finishes: wait until the count holds still, then for
    // more than two schedule periods, and no run may be added.
    let settled = await runs();
    for (const until = Date.now() + 20_000; Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = await runs();
      if (now === settled) break;
      settled = now;
    }
    await new Promise((r) => setTimeout(r, 2500));
    expect(await runs()).toBe(settled);
    const state = (await call(t, 'GET', '/api/admin/sync-state', { token: admin })).json.tables;
    expect(state.find((s: { table_id: string }) => s.table_id === 'customers')).toMatchObject({ status: 'ok', hash: expect.stringMatching(/^[0-9a-f]{32}$/) });
  });
});
