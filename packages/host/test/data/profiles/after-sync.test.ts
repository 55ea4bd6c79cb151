import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost } from '@aida/host/testing';
import { call } from '../../identity/helpers.js';
import { dataHost } from '../fixtures.js';

let t: TestHost;
let admin: string;
let folders: Record<string, string>;
// No minimum interval between profiles: the table was profiled seconds before the sync (see the deferral test in service.test.ts).
beforeAll(async () => ({ t, admin, folders } = await dataHost({ analytics: { profile_min_interval: '0s' } })));
afterAll(() => t?.stop());

describe('profiles follow the data', () => {
  it('after a sync changes a table, the host re-profiles it in the background', async () => {
    const first = await call(t, 'GET', '/api/catalog/profile/customers', { token: admin });
    expect(first.json.rows).toBe(2);
    await writeFile(join(folders.shop, 'customers.csv'), 'customer,name\nc1,Ada\nc2,Ben\nc3,Cleo\nc4,Dan\n');
    expect((await t.host.syncSource('shop')).error).toBeUndefined();
    const deadline = Date.now() + 20_000;
    let profile = first.json;
    while (profile.rows !== 4 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      profile = (await call(t, 'GET', '/api/catalog/profile/customers', { token: admin })).json;
    }
    expect(profile.rows).toBe(4);
    expect(profile.stale).not.toBe(true);
  });

  it('host.idle() resolves once that background profiling is done', async () => {
    await writeFile(join(folders.shop, 'customers.csv'), 'customer,name\nc1,Ada\nc2,Ben\nc3,Cleo\nc4,Dan\nc5,Eve\n');
    expect((await t.host.syncSource('shop')).error).toBeUndefined();
    await t.host.idle();
    // No waiting here: the stored profile is already the new one, not the stale one marked for refresh.
    const profile = (await call(t, 'GET', '/api/catalog/profile/customers', { token: admin })).json;
    expect(profile.rows).toBe(5);
    expect(profile.stale).not.toBe(true);
  });
});
