import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TestHost } from '@aida/host/testing';
import { ADMIN, bootstrap, call, userWithSession } from '../../identity/helpers.js';
import { post, signIn, startWarehouseHost } from './helpers.js';
import { newWarehouse, SIZES } from './warehouse.js';

const LIMITS = { max_scan_bytes: 5_000, user_daily_bytes: 2_500, user_concurrent: 2 };
const EVENTS = 'SELECT count(*) AS n FROM web.events';

let dir: string | undefined;
let t: TestHost | undefined;
afterAll(async () => {
  await t?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the daily byte cap of queries at a source', () => {
  it('answers 429 daily_byte_cap_exceeded with the upstream detail once a day’s bytes would pass it, and keeps counting across a restart', async () => {
    dir = await mkdtemp(join(tmpdir(), 'aida-daily-cap-'));
    const w = newWarehouse();
    t = await startWarehouseHost(w, { dataDir: dir, warehouse: LIMITS });
    const admin = await bootstrap(t);
    const ana = await userWithSession(t, admin, 'ana@example.com', 'analyst');
    const bob = await userWithSession(t, admin, 'bob@example.com', 'analyst');

    // 1000 bytes each: two fit in 2500, a third would not.
    for (let i = 0; i < 2; i++) expect((await post(t, '/api/query/remote', ana.token, { sql: EVENTS })).status).toBe(200);
    w.calls.length = 0;
    const capped = await post(t, '/api/query/remote', ana.token, { sql: EVENTS });
    expect(capped.status).toBe(429);
    expect(capped.json).toMatchObject({
      code: 'AIDA_DAILY_BYTE_CAP_EXCEEDED',
      detail: { reason: 'daily_byte_cap_exceeded', current: 2 * SIZES['web.events'], limit: 2_500, bytes: SIZES['web.events'] },
    });
    const retry = capped.json.detail.retry_after_seconds as number;
    const midnight = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1);
    expect(retry).toBeGreaterThan(0);
    expect(Math.abs(retry - (midnight - Date.now()) / 1000)).toBeLessThan(30);
    expect(capped.headers.get('retry-after')).toBe(String(retry));
    expect(w.calls.map((c) => c.kind)).toEqual(['estimate']);
    // A smaller query still fits what is left of the day (400 bytes of 500).
    expect((await post(t, '/api/query/remote', ana.token, { sql: 'SELECT * FROM web.clicks' })).status).toBe(200);
    // The cap is per user.
    expect((await post(t, '/api/query/remote', bob.token, { sql: EVENTS })).status).toBe(200);

    await t.stop();
    t = await startWarehouseHost(newWarehouse(), { dataDir: dir, warehouse: LIMITS });
    const again = await post(t, '/api/query/remote', await signIn(t, 'ana@example.com'), { sql: EVENTS });
    expect(again.status).toBe(429);
    expect(again.json.detail).toMatchObject({ current: 2 * SIZES['web.events'] + SIZES['web.clicks'], limit: 2_500 });
    // The hybrid route counts against the same day.
    const hybrid = await post(t, '/api/query/hybrid', await signIn(t, 'ana@example.com'), { sql: 'SELECT * FROM ev', register_bq: { ev: EVENTS } });
    expect(hybrid.status).toBe(429);
    expect(hybrid.json.code).toBe('AIDA_DAILY_BYTE_CAP_EXCEEDED');
    expect((await post(t, '/api/query/remote', await signIn(t, 'bob@example.com'), { sql: EVENTS })).status).toBe(200);

    // Every call's audit row carries what the source billed for it (nothing for the refused ones), restarts included.
    const adminToken = (await call(t, 'POST', '/auth/token', { body: ADMIN })).json.access_token as string;
    const audit = await call(t, 'GET', `/api/admin/audit?user_id=${ana.id}&action=${encodeURIComponent('POST /api/query/remote')}`, { token: adminToken });
    expect((audit.json.items as { bytes_scanned: number | null }[]).map((i) => i.bytes_scanned).sort()).toEqual([1000, 1000, 400, null, null].sort());
  });
});
