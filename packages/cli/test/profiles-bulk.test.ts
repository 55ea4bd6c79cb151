import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daWorkspace, startDaHost, type DaHost } from './helpers.js';
import { startProxy, type Proxy } from './proxy.js';

describe('da sync: profiles', () => {
  let h: DaHost;
  let proxy: Proxy;
  beforeAll(async () => {
    const tables = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`t${i}`, { sql: `SELECT range AS id FROM range(${i + 3})` }]));
    h = await startDaHost(tables);
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${h.url}/api/catalog/profile/t${i}/refresh`, { method: 'POST', headers: { authorization: `Bearer ${h.analystToken}` } });
      expect(r.status).toBe(200);
    }
    proxy = await startProxy(h.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await h?.stop();
  });
  const profileRequests = () => proxy.requests.filter((r) => r.path.startsWith('/api/catalog/profile'));

  it('are fetched in one bulk request, not one per table', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', proxy.url, '--token', h.analystToken]);
      proxy.requests.length = 0;
      const s = await ws.run(['sync', '--json']);
      expect(s.code, s.stderr).toBe(0);
      expect(s.json<{ profiles: { saved: number; missing: number } }>().profiles).toEqual({ saved: 6, missing: 0 });
      expect(profileRequests().map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/catalog/profiles']);
      expect((await readdir(join(ws.dir, 'server', 'profiles'))).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `t${i}.json`));
    } finally {
      await ws.cleanup();
    }
  });

  it('from a host without the bulk route, are fetched table by table', async () => {
    const ws = await daWorkspace();
    proxy.missingRoutes = ['/api/catalog/profiles'];
    try {
      await ws.run(['login', '--server', proxy.url, '--token', h.analystToken]);
      proxy.requests.length = 0;
      const s = await ws.run(['sync', '--json']);
      expect(s.code, s.stderr).toBe(0);
      expect(s.json<{ profiles: { saved: number } }>().profiles.saved).toBe(6);
      const asked = profileRequests();
      expect(asked[0]).toMatchObject({ method: 'POST', path: '/api/catalog/profiles', status: 404 });
      expect(
        asked
          .slice(1)
          .map((r) => r.path.split('?')[0])
          .sort(),
      ).toEqual([0, 1, 2, 3, 4, 5].map((i) => `/api/catalog/profile/t${i}`));
    } finally {
      proxy.missingRoutes = [];
      await ws.cleanup();
    }
  });
});
