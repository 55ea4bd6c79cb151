import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daWorkspace, startDaHost, type DaHost } from './helpers.js';
import { startProxy, type Proxy } from './proxy.js';

/** server/profiles.json as a sync left it. */
async function savedProfiles(dir: string): Promise<{ format: number; profiles: Record<string, { table: string; profiled_at: string }> }> {
  return JSON.parse(await readFile(join(dir, 'server', 'profiles.json'), 'utf8')) as {
    format: number;
    profiles: Record<string, { table: string; profiled_at: string }>;
  };
}

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
      expect(Object.keys((await savedProfiles(ws.dir)).profiles).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `t${i}`));
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

  it("move a workspace's old per-table files into server/profiles.json, and refetch those the file lost", async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', proxy.url, '--token', h.analystToken]);
      expect((await ws.run(['sync'])).code).toBe(0);
      // The layout of older versions: one file per table, and no profiles.json.
      const old = await savedProfiles(ws.dir);
      const legacy = join(ws.dir, 'server', 'profiles');
      await mkdir(legacy);
      for (const [id, p] of Object.entries(old.profiles)) await writeFile(join(legacy, `${id}.json`), JSON.stringify({ ...p, from_old_file: true }));
      await rm(join(ws.dir, 'server', 'profiles.json'));
      proxy.requests.length = 0;
      const moved = await ws.run(['sync', '--json']);
      expect(moved.code, moved.stderr).toBe(0);
      // Nothing fetched: every profile came from its old file, and the folder is gone.
      expect(moved.json<{ profiles: { saved: number } }>().profiles.saved).toBe(0);
      expect(profileRequests()).toEqual([]);
      const now = await savedProfiles(ws.dir);
      expect(Object.values(now.profiles).map((p) => (p as { from_old_file?: boolean }).from_old_file)).toEqual(Array(6).fill(true));
      await expect(readdir(legacy)).rejects.toMatchObject({ code: 'ENOENT' });
      const ex = await ws.run(['explore', 't3', '--json']);
      expect(ex.json<{ source: string; profile: { table: string } }>()).toMatchObject({ source: 'local', profile: { table: 't3' } });

      // A file that lost a table's profile (or could not be read at all) gets it back from the
      // server on the next sync, though the state says that profile is current.
      delete now.profiles.t2;
      await writeFile(join(ws.dir, 'server', 'profiles.json'), JSON.stringify(now));
      const healed = await ws.run(['sync', '--json']);
      expect(healed.json<{ profiles: { saved: number } }>().profiles.saved).toBe(1);
      expect(Object.keys((await savedProfiles(ws.dir)).profiles).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `t${i}`));
      await writeFile(join(ws.dir, 'server', 'profiles.json'), '{ not json');
      const fromScratch = await ws.run(['sync', '--json']);
      expect(fromScratch.json<{ profiles: { saved: number } }>().profiles.saved).toBe(6);
      expect(Object.keys((await savedProfiles(ws.dir)).profiles)).toHaveLength(6);
    } finally {
      await ws.cleanup();
    }
  });
});
