// The remote engine behind the host's routes: POST /api/query/remote and /api/query/hybrid with
// this plugin against the fake — grants decide from the dry run's referenced tables, an
// over-cap query runs only its dry run, and an answer carries what BigQuery billed.
import { startTestHost, type TestHost } from '@aida/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import type { FakeBigQuery } from '../src/testing/index.js';
import { configFor, startFake } from './helpers.js';

describe('remote queries through the host', () => {
  let fake: FakeBigQuery;
  let t: TestHost;

  beforeAll(async () => {
    fake = await startFake({ datasets: ['sales', 'web'] });
    fake.addTable({
      datasetId: 'web',
      tableId: 'events',
      schema: [
        { name: 'id', type: 'INT64' },
        { name: 'customer', type: 'STRING' },
        { name: 'at', type: 'TIMESTAMP' },
      ],
      rows: [
        { id: 1, customer: 'c1', at: '2024-05-01T00:00:00Z' },
        { id: 2, customer: 'c2', at: '2024-05-02T00:00:00Z' },
        { id: 3, customer: 'c1', at: '2024-05-03T00:00:00Z' },
      ],
    });
    fake.addTable({ datasetId: 'web', tableId: 'big', schema: [{ name: 'id', type: 'INT64' }], rows: [{ id: 1 }], numBytes: 2 * 1024 ** 3 });
    fake.addTable({
      datasetId: 'sales',
      tableId: 'customers',
      schema: [
        { name: 'id', type: 'STRING' },
        { name: 'name', type: 'STRING' },
      ],
      rows: [
        { id: 'c1', name: 'Ada' },
        { id: 'c2', name: 'Bob' },
      ],
    });
    fake.addTable({ datasetId: 'sales', tableId: 'secret', schema: [{ name: 'id', type: 'INT64' }], rows: [{ id: 1 }] });
    const config = configFor(fake, {
      tables: [{ id: 'web.events', mode: 'remote' }, { id: 'web.big', mode: 'remote' }, { id: 'sales.customers' }],
      limits: { max_scan_bytes: '1GiB' },
    });
    t = await startTestHost({ plugins: [{ plugin, config }] });
    expect((await t.host.syncSource('bigquery')).error).toBeUndefined();
    const admin = await t.asAdmin();
    for (const id of ['events', 'big', 'customers'])
      expect((await admin(`/api/admin/registry/${id}`, { method: 'PUT', body: JSON.stringify({ is_public: false }) })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  const post = async (fetcher: Awaited<ReturnType<TestHost['asUser']>>, path: string, payload: unknown) => {
    const res = await fetcher(path, { method: 'POST', body: JSON.stringify(payload) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('answers a granted analyst with the rows and the bytes BigQuery billed', async () => {
    const admin = await t.asAdmin();
    const analyst = await t.asUser('analyst');
    expect(
      (await admin('/api/admin/permissions', { method: 'POST', body: JSON.stringify({ user_id: analyst.user.id, dataset: 'events', access: 'read' }) })).status,
    ).toBeLessThan(300);
    const r = await post(analyst, '/api/query/remote', { sql: 'SELECT id, at FROM web.events ORDER BY id', limit: 2 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      columns: [
        { name: 'id', type: 'BIGINT' },
        { name: 'at', type: 'TIMESTAMPTZ' },
      ],
      rows: [
        [1, '2024-05-01T00:00:00Z'],
        [2, '2024-05-02T00:00:00Z'],
      ],
      row_count: 2,
      truncated: true,
    });
    expect(r.body.bytes_scanned).toBeGreaterThanOrEqual(10 * 1024 * 1024);
    const job = fake.queryLog.find((q) => !q.dryRun && q.sql.includes('web.events'))!;
    expect(job.labels).toMatchObject({ aida_user: analyst.user.id.toLowerCase().replace(/[^a-z0-9_-]/g, '_') });
  });

  it('refuses an analyst without a grant on a referenced table, and a table no AIDA table stands for, with 403', async () => {
    const analyst = await t.asUser('analyst');
    expect((await post(analyst, '/api/query/remote', { sql: 'SELECT * FROM web.events' })).status).toBe(403);
    expect((await post(analyst, '/api/query/remote', { sql: 'SELECT * FROM sales.secret' })).status).toBe(403);
    expect((await post(analyst, '/api/query/hybrid', { sql: 'SELECT * FROM e', register_bq: { e: 'SELECT * FROM web.events' } })).status).toBe(403);
  });

  it('refuses a query over max_scan_bytes with 400 after its dry run only', async () => {
    const admin = await t.asAdmin();
    fake.queryLog.length = 0;
    const r = await post(admin, '/api/query/remote', { sql: 'SELECT * FROM web.big' });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('AIDA_REMOTE_SCAN_TOO_LARGE');
    expect(fake.queryLog.map((q) => q.dryRun)).toEqual([true]);
  });

  it("reports BigQuery's message for a query it refuses", async () => {
    const admin = await t.asAdmin();
    const r = await post(admin, '/api/query/remote', { sql: 'SELECT nope FROM web.events' });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('Unrecognized name: nope');
  });

  it('joins a BigQuery part registered as an alias with a materialized table in /api/query/hybrid', async () => {
    const admin = await t.asAdmin();
    const r = await post(admin, '/api/query/hybrid', {
      sql: 'SELECT c.name, count(*) AS n FROM e JOIN customers c ON c.id = e.customer GROUP BY c.name ORDER BY c.name',
      register_bq: { e: 'SELECT customer FROM web.events' },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.rows).toEqual([
      ['Ada', 2],
      ['Bob', 1],
    ]);
  });
});
