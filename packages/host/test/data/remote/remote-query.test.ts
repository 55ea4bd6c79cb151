import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestHost } from '@aida/host/testing';
import { bootstrap, userWithSession } from '../../identity/helpers.js';
import { call, post, startWarehouseHost } from './helpers.js';
import { newWarehouse, SIZES } from './warehouse.js';

const w = newWarehouse();
let t: TestHost;
let admin: string;
let analyst: { id: string; token: string };
let viewer: { id: string; token: string };
let users = 0;
/** A fresh analyst: the per-user quotas of one test never reach another's. */
const freshAnalyst = () => userWithSession(t, admin, `analyst${++users}@example.com`, 'analyst');
const remote = (token: string, body: unknown) => post(t, '/api/query/remote', token, body);

beforeAll(async () => {
  t = await startWarehouseHost(w, { warehouse: { max_scan_bytes: 5_000, user_daily_bytes: 1_000_000, user_concurrent: 2 } });
  admin = await bootstrap(t);
  analyst = await userWithSession(t, admin, 'analyst@example.com', 'analyst');
  viewer = await userWithSession(t, admin, 'viewer@example.com', 'viewer');
  for (const table of ['clicks', 'salaries']) {
    const r = await call(t, 'PUT', `/api/admin/registry/${table}`, { token: admin, body: { is_public: false } });
    expect(r.status).toBe(200);
  }
});
afterAll(() => t?.stop());
beforeEach(() => {
  w.calls.length = 0;
});

describe('remote tables in the catalog, the manifest and the local query API', () => {
  it('are listed in the catalog with query_mode remote, and registered as remote and not profiled', async () => {
    const catalog = await call(t, 'GET', '/api/catalog/tables', { token: analyst.token });
    const byId = Object.fromEntries((catalog.json.tables as { id: string }[]).map((row) => [row.id, row]));
    expect(byId.events).toMatchObject({
      query_mode: 'remote',
      source_type: 'warehouse',
      description: 'page events, kept in the warehouse',
      rows: 12,
      size_bytes: SIZES['web.events'],
    });
    expect(byId.customers).toMatchObject({ query_mode: 'local', rows: 3 });
    const registry = await call(t, 'GET', '/api/admin/registry', { token: admin });
    const entry = (registry.json.tables as { id: string }[]).find((e) => e.id === 'events');
    expect(entry).toMatchObject({ query_mode: 'remote', profile_after_sync: false });
  });

  it('are never in the sync manifest, and cannot be downloaded (400 naming POST /api/query/remote)', async () => {
    const manifest = await call(t, 'GET', '/api/sync/manifest', { token: analyst.token });
    expect(Object.keys(manifest.json.tables).sort()).toEqual(['customers']);
    const download = await call(t, 'GET', '/api/data/events/download', { token: analyst.token });
    expect(download.status).toBe(400);
    expect(download.json).toMatchObject({ code: 'AIDA_TABLE_REMOTE', detail: { table: 'events', query_mode: 'remote', query_with: '/api/query/remote' } });
    expect(download.json.message).toMatch(/POST \/api\/query\/remote \(in Warehouse SQL\)/);
    // A remote table the caller may not read is a 403 like any other.
    expect((await call(t, 'GET', '/api/data/clicks/download', { token: analyst.token })).status).toBe(403);
  });

  it('POST /api/query naming one answers 400 pointing to /api/query/remote, not an engine error', async () => {
    const r = await post(t, '/api/query', analyst.token, { sql: 'SELECT c.name FROM customers c JOIN events e ON e.customer_id = c.id' });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('AIDA_TABLE_REMOTE');
    expect(r.json.message).toMatch(/Table 'events' stays at its source 'warehouse'.*POST \/api\/query\/remote.*POST \/api\/query\/hybrid/);
    // Access is still checked first: a private remote table is a 403, as on every route.
    expect((await post(t, '/api/query', analyst.token, { sql: 'SELECT * FROM clicks' })).status).toBe(403);
    expect(w.calls).toEqual([]);
  });

  it('have no column profile: computing one is a 400, and the local tables still profile', async () => {
    const profile = await call(t, 'GET', '/api/catalog/profile/events', { token: analyst.token });
    expect(profile.status).toBe(400);
    expect(profile.json.code).toBe('AIDA_TABLE_REMOTE');
    expect((await call(t, 'POST', '/api/catalog/profile/events/refresh', { token: analyst.token })).status).toBe(400);
    expect((await call(t, 'GET', '/api/catalog/profile/customers', { token: analyst.token })).json).toMatchObject({ rows: 3 });
  });
});

describe('POST /api/query/remote', () => {
  it('estimates, then runs at the source with the scan cap as its byte limit, and answers the /api/query shape plus bytes_scanned', async () => {
    const sql = 'SELECT event_id, kind, seen_at, amount FROM web.events ORDER BY event_id';
    const r = await remote(analyst.token, { sql, limit: 5 });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({
      columns: [
        { name: 'event_id', type: 'BIGINT' },
        { name: 'kind', type: 'VARCHAR' },
        { name: 'seen_at', type: 'TIMESTAMP' },
        { name: 'amount', type: 'DECIMAL(10,2)' },
      ],
      rows: expect.any(Array),
      row_count: 5,
      truncated: true,
      bytes_scanned: SIZES['web.events'],
    });
    expect(r.json.rows[1]).toEqual([1, 'click', '2024-05-01T10:01:00.000Z', 1.5]);
    expect(w.calls).toEqual([
      { kind: 'estimate', sql, userId: analyst.id },
      { kind: 'run', sql, userId: analyst.id, limit: 5, maxBytes: 5_000 },
    ]);
    expect(r.headers.get('cache-control')).toBe('no-store');
  });

  it('an over-cap query runs only the estimate: 400 remote_scan_too_large with bytes and limit', async () => {
    const r = await remote(analyst.token, { sql: 'SELECT count(*) FROM web.huge' });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'AIDA_REMOTE_SCAN_TOO_LARGE', detail: { reason: 'remote_scan_too_large', bytes: SIZES['web.huge'], limit: 5_000 } });
    expect(w.calls.map((c) => c.kind)).toEqual(['estimate']);
  });

  it('an analyst without a grant on a referenced table gets 403 naming it, and nothing runs; with a grant it runs', async () => {
    const sql = 'SELECT e.kind, count(*) AS n FROM web.events e JOIN web.clicks c ON c.customer_id = e.customer_id GROUP BY 1';
    const refused = await remote(analyst.token, { sql });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ code: 'AIDA_TABLE_FORBIDDEN', detail: { table: 'clicks' } });
    expect(w.calls.map((c) => c.kind)).toEqual(['estimate']);
    const grantee = await freshAnalyst();
    expect(
      (await call(t, 'POST', '/api/admin/permissions', { token: admin, body: { user_id: grantee.id, dataset: 'clicks', access: 'read' } })).status,
    ).toBeLessThan(300);
    const granted = await remote(grantee.token, { sql });
    expect(granted.status, granted.text).toBe(200);
    expect(granted.json.bytes_scanned).toBe(SIZES['web.events'] + SIZES['web.clicks']);
    // An admin reads everything.
    expect((await remote(admin, { sql })).status).toBe(200);
  });

  it('a source table no AIDA table stands for is 403, for an admin too', async () => {
    for (const token of [analyst.token, admin]) {
      const r = await remote(token, { sql: 'SELECT * FROM web.unlisted' });
      expect(r.status).toBe(403);
      expect(r.json).toMatchObject({ code: 'AIDA_REMOTE_TABLE_UNREGISTERED', detail: { tables: ['web.unlisted'], source: 'warehouse' } });
    }
    expect(w.calls.map((c) => c.kind)).toEqual(['estimate', 'estimate']);
  });

  it('more queries at once than the source allows a user answer 429; others and the next query go through', async () => {
    const user = await freshAnalyst();
    let open!: () => void;
    w.gate = new Promise<void>((resolve) => (open = resolve));
    try {
      const held = [remote(user.token, { sql: 'SELECT count(*) FROM web.events' }), remote(user.token, { sql: 'SELECT max(event_id) FROM web.events' })];
      await expect.poll(() => w.waiting, { timeout: 5_000 }).toBe(2);
      const third = await remote(user.token, { sql: 'SELECT count(*) FROM web.events' });
      expect(third.status).toBe(429);
      expect(third.json).toMatchObject({ code: 'AIDA_REMOTE_CONCURRENCY_LIMIT', detail: { reason: 'concurrent_limit_exceeded', current: 2, limit: 2 } });
      expect(third.headers.get('retry-after')).toBe('1');
      // The slots are the user's: another analyst is not held up.
      const other = remote(analyst.token, { sql: 'SELECT count(*) FROM web.events' });
      await expect.poll(() => w.waiting, { timeout: 5_000 }).toBe(3);
      open();
      expect((await Promise.all([...held, other])).map((r) => r.status)).toEqual([200, 200, 200]);
    } finally {
      w.gate = undefined;
      open();
    }
    expect((await remote(user.token, { sql: 'SELECT count(*) FROM web.events' })).status).toBe(200);
  });

  it('a client that hangs up stops its query at the source and frees its slot', async () => {
    const user = await freshAnalyst();
    let open!: () => void;
    w.gate = new Promise<void>((resolve) => (open = resolve));
    try {
      const gone = new AbortController();
      const pending = t
        .request('/api/query/remote', {
          method: 'POST',
          signal: gone.signal,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
          body: JSON.stringify({ sql: 'SELECT * FROM web.events' }),
        })
        .catch((e: Error) => e);
      await expect.poll(() => w.waiting, { timeout: 5_000 }).toBe(1);
      gone.abort();
      expect(await pending).toBeInstanceOf(Error);
      await expect.poll(() => w.waiting, { timeout: 5_000 }).toBe(0);
    } finally {
      w.gate = undefined;
      open();
    }
    const [a, b] = await Promise.all([
      remote(user.token, { sql: 'SELECT 1 AS x FROM web.events' }),
      remote(user.token, { sql: 'SELECT 2 AS x FROM web.events' }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
  });

  it('answers bad input and the source’s refusals with their codes; a viewer may not use it', async () => {
    expect((await remote(analyst.token, { sql: '' })).json.code).toBe('AIDA_QUERY_EMPTY');
    expect((await remote(analyst.token, { sql: 'SELECT 1', extra: true })).json.code).toBe('AIDA_INPUT_INVALID');
    expect((await remote(analyst.token, { sql: 'SELECT * FROM web.events', limit: 100_001 })).json.code).toBe('AIDA_QUERY_LIMIT_TOO_HIGH');
    const unknown = await remote(analyst.token, { sql: 'SELECT * FROM web.events', source: 'nowhere' });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ code: 'AIDA_REMOTE_SOURCE_UNKNOWN', detail: { sources: ['warehouse'] } });
    const refused = await remote(analyst.token, { sql: 'SELECT * FROM web.missing' });
    expect(refused.status).toBe(400);
    expect(refused.json.message).toMatch(/Not found: Table web.missing/);
    expect((await remote(viewer.token, { sql: 'SELECT * FROM web.events' })).status).toBe(403);
    expect(w.calls.filter((c) => c.kind === 'run')).toEqual([]);
  });

  it('audits every call with the bytes the source billed (null when nothing ran)', async () => {
    const user = await freshAnalyst();
    expect((await remote(user.token, { sql: 'SELECT count(*) FROM web.events' })).status).toBe(200);
    expect((await remote(user.token, { sql: 'SELECT count(*) FROM web.huge' })).status).toBe(400);
    const audit = await call(t, 'GET', `/api/admin/audit?user_id=${user.id}&action=${encodeURIComponent('POST /api/query/remote')}`, { token: admin });
    expect(audit.status).toBe(200);
    const rows = (audit.json.items as { status: number; bytes_scanned: number | null }[]).map((i) => [i.status, i.bytes_scanned]);
    expect(rows.sort()).toEqual([
      [200, SIZES['web.events']],
      [400, null],
    ]);
  });
});
