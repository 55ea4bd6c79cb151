import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daWorkspace, spawnDa, startDaHost, type DaHost } from './helpers.js';
import { startProxy, type Proxy } from './proxy.js';

async function partFile(dir: string): Promise<{ path: string; size: number } | undefined> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const name = names.find((n) => n.startsWith('big.parquet.') && n.endsWith('.part'));
  if (!name) return undefined;
  return { path: join(dir, name), size: (await stat(join(dir, name))).size };
}

describe('da sync: a download killed halfway', () => {
  let h: DaHost;
  let proxy: Proxy;
  beforeAll(async () => {
    // Random doubles compress badly: a few MB of Parquet.
    h = await startDaHost({ big: { sql: 'SELECT random() AS a, random() AS b, hash(range) AS c FROM range(250000)' } });
    proxy = await startProxy(h.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await h?.stop();
  });

  it('resumes from the bytes already on disk with Range, and the result matches the manifest hash', async () => {
    const ws = await daWorkspace();
    try {
      const manifest = (await (await fetch(`${h.url}/api/sync/manifest`, { headers: { authorization: `Bearer ${h.analystToken}` } })).json()) as {
        tables: { big: { hash: string; size_bytes: number } };
      };
      const { hash, size_bytes: size } = manifest.tables.big;
      expect(size).toBeGreaterThan(2_000_000);

      await ws.run(['login', '--server', proxy.url, '--token', h.analystToken]);
      proxy.throttle = 16 * 1024; // ~800 KB/s
      const first = spawnDa(['sync'], { env: ws.env });
      const dir = join(ws.dir, 'server', 'parquet');
      const deadline = Date.now() + 30_000;
      let part: { path: string; size: number } | undefined;
      while (Date.now() < deadline) {
        part = await partFile(dir);
        if (part && part.size > size / 4) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      first.child.kill('SIGKILL');
      const killed = await first.result;
      expect(killed.code).toBeNull();
      part = await partFile(dir);
      expect(part, 'a partial download is left behind').toBeDefined();
      expect(part!.size).toBeGreaterThan(0);
      expect(part!.size).toBeLessThan(size);
      await expect(stat(join(dir, 'big.parquet'))).rejects.toThrow();

      proxy.throttle = 0;
      proxy.requests.length = 0;
      const second = await spawnDa(['sync', '--json'], { env: ws.env }).result;
      expect(second.code, second.stderr + second.stdout).toBe(0);
      const downloads = proxy.requests.filter((r) => r.path.includes('/download'));
      expect(downloads).toHaveLength(1);
      expect(downloads[0].headers.range).toBe(`bytes=${part!.size}-`);
      expect(downloads[0].headers['if-range']).toBe(`"${hash}"`);
      expect(downloads[0].status).toBe(206);
      const fetched = second.json<{ fetched: { resumed_from: number; bytes: number }[] }>().fetched;
      expect(fetched).toEqual([expect.objectContaining({ resumed_from: part!.size, bytes: size - part!.size })]);
      const bytes = await readFile(join(dir, 'big.parquet'));
      expect(createHash('md5').update(bytes).digest('hex')).toBe(hash);
      expect(await partFile(dir)).toBeUndefined();
    } finally {
      await ws.cleanup();
    }
  });

  it('retries a 503 and a connection cut mid-body, resuming from what arrived', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', proxy.url, '--token', h.analystToken]);
      const manifest = (await (await fetch(`${h.url}/api/sync/manifest`, { headers: { authorization: `Bearer ${h.analystToken}` } })).json()) as {
        tables: { big: { hash: string; size_bytes: number } };
      };
      proxy.requests.length = 0;
      proxy.fail503 = 1;
      proxy.cutAfter = 1_000_000;
      const r = await spawnDa(['sync', '--json'], { env: ws.env }).result;
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const dl = proxy.requests.filter((x) => x.path.includes('/download'));
      expect(dl.map((x) => x.status)).toEqual([503, 200, 206]);
      expect(r.stderr).toMatch(/warning: GET \/api\/data\/big\/download failed \(503\): injected outage; retrying in \d+ ms \(attempt 2 of 4\)/);
      expect(r.stderr).toMatch(/warning: server\/parquet\/big\.parquet: the transfer broke off after \d+ bytes.*retrying in \d+ ms \(attempt 3 of 4\)/);
      expect(dl[2].headers.range).toMatch(/^bytes=\d+-$/);
      expect(Number(/\d+/.exec(String(dl[2].headers.range))![0])).toBeGreaterThan(0);
      expect(
        createHash('md5')
          .update(await readFile(join(ws.dir, 'server', 'parquet', 'big.parquet')))
          .digest('hex'),
      ).toBe(manifest.tables.big.hash);
    } finally {
      proxy.fail503 = 0;
      proxy.cutAfter = 0;
      await ws.cleanup();
    }
  });

  it('never resumes a partial download left from another version of the file', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', proxy.url, '--token', h.analystToken]);
      const manifest = (await (await fetch(`${h.url}/api/sync/manifest`, { headers: { authorization: `Bearer ${h.analystToken}` } })).json()) as {
        tables: { big: { hash: string } };
      };
      // A leftover part of some other version of the file: never resumed, removed.
      const { mkdir, writeFile } = await import('node:fs/promises');
      const dir = join(ws.dir, 'server', 'parquet');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'big.parquet.0123456789abcdef0123456789abcdef.part'), 'stale bytes');
      proxy.requests.length = 0;
      const r = await spawnDa(['sync', '--json'], { env: ws.env }).result;
      expect(r.code, r.stderr).toBe(0);
      const dl = proxy.requests.filter((x) => x.path.includes('/download'));
      expect(dl.map((x) => x.headers.range)).toEqual([undefined]);
      expect(
        createHash('md5')
          .update(await readFile(join(dir, 'big.parquet')))
          .digest('hex'),
      ).toBe(manifest.tables.big.hash);
      expect((await readdir(dir)).filter((n) => n.endsWith('.part'))).toEqual([]);
    } finally {
      await ws.cleanup();
    }
  });
});

describe('da sync: one at a time per workspace', () => {
  it('refuses a second sync while one runs, and takes over the lock of a killed one', async () => {
    const { mkdir, writeFile } = await import('node:fs/promises');
    const h = await startDaHost({ t: { sql: 'SELECT 1 AS id' } });
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', h.url, '--token', h.analystToken]);
      await mkdir(join(ws.dir, '.da'), { recursive: true });
      // This test process is alive: its pid in the lock means a sync is running.
      await writeFile(join(ws.dir, '.da', 'sync.lock'), String(process.pid));
      const busy = await spawnDa(['sync', '--json'], { env: ws.env }).result;
      expect(busy.code).toBe(2);
      expect(busy.json<{ error: { message: string } }>().error.message).toMatch(new RegExp(`Another da sync \\(pid ${process.pid}\\)`));
      // A pid that no longer exists: the lock is stale and taken over.
      await writeFile(join(ws.dir, '.da', 'sync.lock'), '2147483646');
      const ok = await spawnDa(['sync', '--json'], { env: ws.env }).result;
      expect(ok.code, ok.stderr + ok.stdout).toBe(0);
      await expect(stat(join(ws.dir, '.da', 'sync.lock'))).rejects.toThrow();
    } finally {
      await ws.cleanup();
      await h.stop();
    }
  });
});
