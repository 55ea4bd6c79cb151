import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { FakeKeboola } from '../src/testing/fake-keboola.js';
import { TOKEN, orderRow, ordersTable } from './helpers.js';

const ADMIN = { email: 'admin@example.com', name: 'Admin', password: 'admin-password-1' };

describe('the Keboola plugin in a real host against a local fake stack', () => {
  let fake: FakeKeboola;
  let t: TestHost;
  let dataDir: string;
  let admin: string;

  const get = async (path: string) => {
    const res = await t.request(path, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status, `${path} → ${res.status}`).toBe(200);
    return (await res.json()) as Record<string, any>;
  };
  const manifest = async () => (await get('/api/sync/manifest')).tables as Record<string, { hash: string; rows: number; parts?: unknown[] }>;

  beforeAll(async () => {
    fake = await FakeKeboola.start(TOKEN);
    fake.addTable(ordersTable(50, { slices: 4 }));
    fake.addTable({
      ...ordersTable(0, { id: 'in.c-crm.customers' }),
      rows: Array.from({ length: 10 }, (_, i) => ({ values: orderRow(i + 1), changedAt: Date.now() })),
    });
    dataDir = await mkdtemp(join(tmpdir(), 'kbc-host-'));
    t = await startTestHost({
      dataDir,
      plugins: [
        {
          plugin,
          config: fake.config({
            tables: [{ id: 'in.c-sales.orders' }, { id: 'in.c-crm.customers', strategy: 'incremental' }],
            retries: { max: 1, base_delay: '10ms', max_delay: '20ms' },
          }),
        },
      ],
    });
    const boot = await t.request('/auth/bootstrap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    expect(boot.status).toBe(201);
    admin = String(((await boot.json()) as { access_token: string }).access_token);
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('discover-tables lists the Keboola tables with their types, keys and row counts', async () => {
    const body = await get('/api/admin/discover-tables');
    expect(body.errors).toEqual([]);
    const orders = body.tables.find((x: { name: string }) => x.name === 'orders');
    expect(orders).toMatchObject({
      source: 'keboola',
      source_type: 'keboola',
      sourceTable: 'in.c-sales.orders',
      bucket: 'in.c-sales',
      rows: 50,
      primaryKey: ['id'],
    });
    expect(orders.columns).toContainEqual({ name: 'amount', type: 'DECIMAL(12,2)' });
  });

  it('a sync serves the tables in the manifest', async () => {
    const result = await t.host.syncSource('keboola');
    expect(result.error).toBeUndefined();
    expect(result.report.tables.map((x) => `${x.name}:${x.status}:${x.rows}`).sort()).toEqual(['customers:ok:10', 'orders:ok:50']);
    const m = await manifest();
    expect(m.orders.rows).toBe(50);
    expect(m.customers.rows).toBe(10);
  });

  it('a failed or truncated export leaves the Parquet file and its manifest hash unchanged, and sync history records the error', async () => {
    const before = await manifest();
    fake.tables.get('in.c-sales.orders')!.failExport = 'Export failed: storage backend error';
    const failed = await t.host.syncSource('keboola');
    expect(failed.report.tables.find((x) => x.name === 'orders')).toMatchObject({ status: 'error' });
    expect((await manifest()).orders.hash).toBe(before.orders.hash);

    delete fake.tables.get('in.c-sales.orders')!.failExport;
    fake.upsert('in.c-sales.orders', [orderRow(1, { amount: '1000.00' })]);
    fake.inject({ server: 's3', path: /0002_part_00$/, truncate: true, times: 100 });
    const truncated = await t.host.syncSource('keboola');
    expect(truncated.report.tables.find((x) => x.name === 'orders')).toMatchObject({
      status: 'error',
      error: expect.stringMatching(/slice 3\/4 .*truncated or corrupt gzip/),
    });
    expect((await manifest()).orders.hash).toBe(before.orders.hash);
    fake.injections.length = 0;

    const repaired = await t.host.syncSource('keboola');
    expect(repaired.report.tables.find((x) => x.name === 'orders')).toMatchObject({ status: 'ok', rows: 50 });
    expect((await manifest()).orders.hash).not.toBe(before.orders.hash);

    // sync_history is in the host's system database (DuckDB or PostgreSQL, as the test run says).
    const db = t.host.systemDb!;
    const history = await db.all<{ status: string; error: string | null; warnings: string | null }>(
      `SELECT status, error, warnings FROM sync_history WHERE table_id = 'orders' ORDER BY synced_at`,
    );
    expect(history.map((h) => h.status)).toEqual(['ok', 'error', 'error', 'ok']);
    expect(history[1].error).toMatch(/job \d+ failed: Export failed: storage backend error/);
    expect(history[2].error).toMatch(/truncated or corrupt gzip/);
    expect(history[0].error).toBeNull();
    expect(history[0].warnings).toMatch(/^column location: unknown Keboola base type/);
    const all = await db.all<{ error: string | null }>(`SELECT error FROM sync_history`);
    for (const h of all) expect(String(h.error)).not.toContain(TOKEN);
  });
});

describe('Keboola plugin configuration at boot', () => {
  it('reports an unset token variable and a bad table id together, naming the fields', async () => {
    const err = await startTestHost({
      plugins: [{ plugin, config: { url: 'https://connection.keboola.com', token_env: 'AIDA_TEST_UNSET_KBC_TOKEN', tables: [{ id: 'orders' }] } }],
    }).then(
      async (h) => {
        await h.stop();
        return null;
      },
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/token_env: environment variable AIDA_TEST_UNSET_KBC_TOKEN is not set/);
    expect(err?.message).toMatch(/tables\[0\]\.id: must be a Keboola table id/);
  });
});

describe('Keboola syncs of several tables at once', () => {
  let fake: FakeKeboola;
  let t: TestHost;
  let admin: string;
  beforeAll(async () => {
    fake = await FakeKeboola.start(TOKEN);
    fake.addTable(ordersTable(50, { slices: 2 }));
    fake.addTable({
      ...ordersTable(0, { id: 'in.c-crm.customers' }),
      rows: Array.from({ length: 10 }, (_, i) => ({ values: orderRow(i + 1), changedAt: Date.now() })),
    });
    // Long request timeouts: the orders export below must really be held for its whole delay.
    t = await startTestHost({
      plugins: [
        {
          plugin,
          config: fake.config({
            tables: [{ id: 'in.c-sales.orders' }, { id: 'in.c-crm.customers' }],
            timeouts: { request: '30s', idle: '30s', poll_initial: '20ms', poll_max: '100ms' },
          }),
        },
      ],
      config: { analytics: { profile_after_rebuild: false } },
    });
    const boot = await t.request('/auth/bootstrap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    admin = String(((await boot.json()) as { access_token: string }).access_token);
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  it("one table's slow sync never holds up another table's sync of the same source", async () => {
    await t.host.syncSource('keboola');
    fake.inject({ method: 'POST', path: /in\.c-sales\.orders\/export-async$/, delayMs: 8000, times: 1 });
    let ordersDone = false;
    const slow = t.host.syncSource('keboola', ['orders']).then((r) => {
      ordersDone = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 200)); // the orders export is under way
    const quick = await t.host.syncSource('keboola', ['customers']);
    expect(quick.error).toBeUndefined();
    expect(quick.report.tables.map((x) => `${x.name}:${x.status}`)).toEqual(['customers:ok']);
    expect(ordersDone, 'customers finished while orders was still waiting for its export').toBe(false);
    const late = await slow;
    expect(late.error).toBeUndefined();
    expect(late.report.tables.map((x) => `${x.name}:${x.status}`)).toEqual(['orders:ok']);
    const res = await t.request('/api/sync/manifest', { headers: { authorization: `Bearer ${admin}` } });
    const m = ((await res.json()) as { tables: Record<string, { rows: number }> }).tables;
    expect([m.orders.rows, m.customers.rows]).toEqual([50, 10]);
  });
});
