import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daWorkspace, spawnDa, startDaHost, type DaHost } from './helpers.js';
import { startProxy, type Proxy } from './proxy.js';

/**
 * Small files come many to a request (POST /api/sync/download, sync/bulk-download.ts), each
 * checked against the manifest; a host without that route is asked file by file, and a bulk
 * answer that does not check out is not installed.
 */
describe('da sync: small files in bulk', () => {
  let h: DaHost;
  let proxy: Proxy;
  const ids = Array.from({ length: 12 }, (_, i) => `t${i}`);
  beforeAll(async () => {
    h = await startDaHost(Object.fromEntries(ids.map((id, i) => [id, { sql: `SELECT range AS id, 'v' || range AS label FROM range(${50 + i})` }])));
    proxy = await startProxy(h.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await h?.stop();
  });
  const downloads = () => proxy.requests.filter((r) => r.path.includes('/download')).map((r) => `${r.method} ${r.path.split('?')[0]} ${r.status}`);

  async function expectSynced(dir: string): Promise<void> {
    const manifest = (await (await fetch(`${h.url}/api/sync/manifest`, { headers: { authorization: `Bearer ${h.analystToken}` } })).json()) as {
      tables: Record<string, { hash: string }>;
    };
    for (const id of ids) {
      const bytes = await readFile(join(dir, 'server', 'parquet', `${id}.parquet`));
      expect(createHash('md5').update(bytes).digest('hex')).toBe(manifest.tables[id].hash);
    }
  }

  it('fetches every small table in one request and verifies each', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', proxy.url, '--token', h.analystToken]);
      proxy.requests.length = 0;
      const s = await ws.run(['sync', '--json']);
      expect(s.code, s.stderr).toBe(0);
      expect(s.json<{ fetched: unknown[] }>().fetched).toHaveLength(ids.length);
      expect(downloads()).toEqual(['POST /api/sync/download 200']);
      await expectSynced(ws.dir);
      const q = await ws.run(['query', 'SELECT count(*) AS n FROM t11', '--json']);
      expect(q.json<{ rows: unknown[][] }>().rows).toEqual([[61]]);
    } finally {
      await ws.cleanup();
    }
  });

  it('asks a host without the bulk route file by file', async () => {
    const ws = await daWorkspace();
    proxy.missingRoutes = ['/api/sync/download'];
    try {
      await ws.run(['login', '--server', proxy.url, '--token', h.analystToken]);
      proxy.requests.length = 0;
      const s = await ws.run(['sync', '--json']);
      expect(s.code, s.stderr).toBe(0);
      const asked = downloads();
      expect(asked[0]).toBe('POST /api/sync/download 404');
      expect(asked.slice(1).sort()).toEqual(ids.map((id) => `GET /api/data/${id}/download 200`).sort());
      await expectSynced(ws.dir);
    } finally {
      proxy.missingRoutes = [];
      await ws.cleanup();
    }
  });

  it('installs no file whose bytes do not match: the rest of the answer is kept, that file fetched singly', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', proxy.url, '--token', h.analystToken]);
      proxy.corrupt = true; // the last byte of the bulk answer's last file, and the middle of a single download
      proxy.requests.length = 0;
      const bad = await spawnDa(['sync', '--json'], { env: { ...ws.env, DA_RETRIES: '0' } }).result;
      expect(bad.code).not.toBe(0);
      const last = [...ids].sort().at(-1)!; // the bulk answer lists the files in the manifest's order
      expect(downloads()).toEqual(['POST /api/sync/download 200', `GET /api/data/${last}/download 200`]);
      expect(bad.stderr + bad.stdout).toContain(`server/parquet/${last}.parquet: downloaded`);
      expect(bad.stderr + bad.stdout).toMatch(/with SHA-256 [0-9a-f]{64}, the manifest says/);
      await expect(readFile(join(ws.dir, 'server', 'parquet', `${last}.parquet`))).rejects.toMatchObject({ code: 'ENOENT' });
      for (const id of ids.filter((x) => x !== last)) expect((await readFile(join(ws.dir, 'server', 'parquet', `${id}.parquet`))).length).toBeGreaterThan(0);
      proxy.corrupt = false;
      const good = await ws.run(['sync', '--json']);
      expect(good.code, good.stderr).toBe(0);
      await expectSynced(ws.dir);
    } finally {
      proxy.corrupt = false;
      await ws.cleanup();
    }
  });

  it('keeps the files of an answer that broke off, and fetches the rest singly', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', proxy.url, '--token', h.analystToken]);
      proxy.cutAfter = 3000; // the bulk answer: a few files, then the connection is cut
      proxy.requests.length = 0;
      const s = await ws.run(['sync', '--json']);
      expect(s.code, s.stderr).toBe(0);
      const asked = downloads();
      expect(asked[0]).toBe('POST /api/sync/download 200');
      const singly = asked.slice(1);
      expect(singly.length).toBeGreaterThan(0);
      expect(singly.length).toBeLessThan(ids.length);
      await expectSynced(ws.dir);
    } finally {
      proxy.cutAfter = 0;
      await ws.cleanup();
    }
  });
});
