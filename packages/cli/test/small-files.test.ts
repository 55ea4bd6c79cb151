import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daWorkspace, spawnDa, startDaHost, type DaHost } from './helpers.js';
import { startProxy, type Proxy } from './proxy.js';

/**
 * Files up to 1 MiB are received in memory and written in one call (sync/download.ts): a body
 * cut off midway is fetched whole again and leaves nothing half-written behind, and what is
 * installed matches the manifest's MD5.
 */
describe('da sync: small files', () => {
  let h: DaHost;
  let proxy: Proxy;
  let manifest: { tables: { small: { hash: string; size_bytes: number } } };
  beforeAll(async () => {
    h = await startDaHost({ small: { sql: 'SELECT range AS id, hash(range) AS h FROM range(20000)' } });
    proxy = await startProxy(h.url);
    // The single download's small-file path: bulk answers (bulk-download.test.ts) are off here.
    proxy.missingRoutes = ['/api/sync/download'];
    manifest = (await (await fetch(`${h.url}/api/sync/manifest`, { headers: { authorization: `Bearer ${h.analystToken}` } })).json()) as typeof manifest;
    // Small, yet in more than one chunk, so that a cut falls in the middle of the body.
    expect(manifest.tables.small.size_bytes).toBeGreaterThan(64 * 1024);
    expect(manifest.tables.small.size_bytes).toBeLessThan(1 << 20);
  });
  afterAll(async () => {
    await proxy?.close();
    await h?.stop();
  });
  const parts = async (dir: string) => (await readdir(join(dir, 'server', 'parquet')).catch(() => [] as string[])).filter((n) => n.endsWith('.part'));

  it('a body cut off midway is fetched whole again, and the file installed matches the manifest', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', proxy.url, '--token', h.analystToken]);
      proxy.requests.length = 0;
      proxy.cutAfter = 40_000;
      const r = await spawnDa(['sync', '--json'], { env: { ...ws.env, DA_RETRIES: '2', DA_BACKOFF_MS: '10' } }).result;
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stderr).toMatch(/server\/parquet\/small\.parquet: the transfer broke off after \d+ bytes/);
      const dl = proxy.requests.filter((x) => x.path.startsWith('/api/data/'));
      // Nothing of the cut body was kept: the second request asks for all of it.
      expect(dl.map((x) => [x.status, x.headers.range])).toEqual([
        [200, undefined],
        [200, undefined],
      ]);
      const file = await readFile(join(ws.dir, 'server', 'parquet', 'small.parquet'));
      expect(file.length).toBe(manifest.tables.small.size_bytes);
      expect(createHash('md5').update(file).digest('hex')).toBe(manifest.tables.small.hash);
      expect(await parts(ws.dir)).toEqual([]);
    } finally {
      proxy.cutAfter = 0;
      await ws.cleanup();
    }
  });

  it('a cut with no retries left fails the sync and leaves no partial file', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', proxy.url, '--token', h.analystToken]);
      proxy.cutAfter = 40_000;
      const r = await spawnDa(['sync', '--json'], { env: { ...ws.env, DA_RETRIES: '0' } }).result;
      expect(r.code).not.toBe(0);
      expect(r.stderr + r.stdout).toMatch(/small\.parquet: the transfer broke off after \d+ bytes/);
      expect(await parts(ws.dir)).toEqual([]);
      await expect(readFile(join(ws.dir, 'server', 'parquet', 'small.parquet'))).rejects.toMatchObject({ code: 'ENOENT' });
      // The next sync gets it.
      proxy.cutAfter = 0;
      const again = await ws.run(['sync', '--json']);
      expect(again.code, again.stderr).toBe(0);
      expect(
        createHash('md5')
          .update(await readFile(join(ws.dir, 'server', 'parquet', 'small.parquet')))
          .digest('hex'),
      ).toBe(manifest.tables.small.hash);
    } finally {
      proxy.cutAfter = 0;
      await ws.cleanup();
    }
  });

  it('checks each download against the SHA-256 the manifest gives, and against its MD5 from a host without SHA-256', async () => {
    for (const noSha256 of [false, true]) {
      const ws = await daWorkspace();
      try {
        await ws.run(['login', '--server', proxy.url, '--token', h.analystToken]);
        proxy.noSha256 = noSha256;
        proxy.corrupt = true;
        const bad = await spawnDa(['sync', '--json'], { env: { ...ws.env, DA_RETRIES: '0' } }).result;
        expect(bad.code).not.toBe(0);
        const algorithm = noSha256 ? 'MD5' : 'SHA-256';
        expect(bad.stderr + bad.stdout).toContain(`downloaded ${manifest.tables.small.size_bytes} bytes with ${algorithm} `);
        await expect(readFile(join(ws.dir, 'server', 'parquet', 'small.parquet'))).rejects.toMatchObject({ code: 'ENOENT' });
        proxy.corrupt = false;
        const good = await ws.run(['sync', '--json']);
        expect(good.code, good.stderr).toBe(0);
        expect(
          createHash('md5')
            .update(await readFile(join(ws.dir, 'server', 'parquet', 'small.parquet')))
            .digest('hex'),
        ).toBe(manifest.tables.small.hash);
      } finally {
        proxy.corrupt = false;
        proxy.noSha256 = false;
        await ws.cleanup();
      }
    }
  });
});
