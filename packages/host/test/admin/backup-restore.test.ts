import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import * as tar from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queryRows, sqlString } from '@aida/core';
import { MANIFEST_NAME, manifestSchema } from '../../src/admin/archive.js';
import { backup } from '../../src/admin/backup.js';
import { listUsers } from '../../src/admin/list-users.js';
import { restore } from '../../src/admin/restore.js';
import { ADMIN, query, reopenShopHost, shopHost, signIn, tempRoot, writeOrders } from './helpers.js';

let root: { dir: string; cleanup: () => Promise<void> };
let dataDir: string;
let folder: string;
beforeEach(async () => {
  root = await tempRoot('aida-backup-');
  dataDir = join(root.dir, 'd');
  folder = join(root.dir, 'shop');
});
afterEach(() => root.cleanup());

const ANALYST = { email: 'ana@example.com', password: 'ana-password-1' };

/** A stopped instance with the admin, an analyst and the shop source. */
async function stoppedInstance(rows = 100): Promise<void> {
  const { t, admin } = await shopHost(dataDir, folder, rows);
  const created = await fetch(`${t.url}/api/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({ ...ANALYST, name: 'Ana', role: 'analyst' }),
  });
  expect(created.status).toBe(201);
  await t.stop();
}

/** The Parquet files the views of an analytics database read. */
async function analyticsFiles(path: string): Promise<string[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run(`ATTACH ${sqlString(path)} AS a (READ_ONLY)`);
    return (await queryRows<{ path: string }>(conn, 'SELECT DISTINCT path FROM a._aida_files ORDER BY 1')).map((r) => r.path);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe('aida backup of a live host', () => {
  it('during queries and rebuilds yields an archive that restores to a working instance', async () => {
    const { t, admin } = await shopHost(dataDir, folder, 200);
    const created = await fetch(`${t.url}/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ ...ANALYST, name: 'Ana', role: 'analyst' }),
    });
    expect(created.status).toBe(201);
    let stop = false;
    const failures: string[] = [];
    let queriesRun = 0;
    let rows = 200;
    const queries = (async () => {
      while (!stop) {
        try {
          await query(t.url, admin, 'SELECT count(*) AS n, sum(amount) FROM orders');
          queriesRun++;
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    })();
    // Every sync commits a new extract (a new Parquet file) and rebuilds the analytics database.
    let rebuilds = 0;
    const churn = (async () => {
      while (!stop) {
        await writeOrders(folder, ++rows);
        const r = await t.host.syncSource('shop');
        if (r.error) failures.push(r.error);
        else rebuilds++;
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    // Backups one after another until at least one rebuild finished while one was being taken.
    const archive = join(root.dir, 'live.tar');
    const rebuildsBefore = rebuilds;
    let out = await backup(dataDir, archive);
    for (let i = 0; i < 10 && rebuilds - rebuildsBefore < 2; i++) out = await backup(dataDir, archive, { force: true });
    const rowsAtBackupEnd = rows;
    const rebuildsDuring = rebuilds - rebuildsBefore;
    stop = true;
    await Promise.all([queries, churn]);
    expect(failures).toEqual([]);
    expect(queriesRun).toBeGreaterThan(5);
    expect(rebuildsDuring).toBeGreaterThanOrEqual(2);
    expect(out.manifest.live).toBe(true);
    const names = out.manifest.files.map((f) => f.path);
    for (const n of ['state/system.duckdb', 'state/jwt-secret', 'extracts/shop/extract.duckdb', 'analytics/server.duckdb']) expect(names).toContain(n);
    // Nothing transient: no socket, no staging, no write-ahead log, no temp files.
    expect(names.filter((n) => /^(run|tmp)\/|\.wal$|\.tmp-|\.staging-/.test(n))).toEqual([]);
    expect(existsSync(join(dataDir, 'run'))).toBe(true);
    expect((await readdir(join(dataDir, 'run'))).filter((n) => n.startsWith('backup-'))).toEqual([]);
    await t.stop();

    // Into another folder: verified, and the analytics database is rebuilt there at start.
    const restoredDir = join(root.dir, 'restored');
    const back = await restore(archive, restoredDir);
    expect(back).toMatchObject({ users: 2, sources: 1, tables: 2, analytics_restored: false });
    const r = await reopenShopHost(restoredDir, folder);
    try {
      expect((await signIn(r.url, ADMIN.email, ADMIN.password)).status).toBe(200);
      const ana = await signIn(r.url, ANALYST.email, ANALYST.password);
      expect(ana.status).toBe(200);
      const [[n]] = await query(r.url, ana.token!, 'SELECT count(*) FROM orders');
      expect(Number(n)).toBeGreaterThanOrEqual(200);
      expect(Number(n)).toBeLessThanOrEqual(rowsAtBackupEnd);
    } finally {
      await r.stop();
    }

    // Into the data dir it came from (--force): the archived analytics database is used as it is,
    // so every file its views read must be in the archive.
    await restore(archive, dataDir, { force: true }).then((b) => expect(b.analytics_restored).toBe(true));
    for (const p of await analyticsFiles(join(dataDir, 'analytics', 'server.duckdb'))) expect(existsSync(p), p).toBe(true);
    const same = await reopenShopHost(dataDir, folder);
    try {
      const { token } = await signIn(same.url, ANALYST.email, ANALYST.password);
      const [[n]] = await query(same.url, token!, 'SELECT count(*) FROM orders');
      expect(Number(n)).toBeGreaterThanOrEqual(200);
    } finally {
      await same.stop();
    }
  });
});

describe('aida backup of a stopped instance and aida restore', () => {
  it('round-trips users and tables, compressed or not, and never overwrites without --force', async () => {
    await stoppedInstance();
    const plain = join(root.dir, 'b.tar');
    const gz = join(root.dir, 'b.tar.gz');
    const a = await backup(dataDir, plain);
    const b = await backup(dataDir, gz);
    expect(a.manifest.live).toBe(false);
    // The same files (a system database copy is byte-for-byte new each time; its contents are what counts).
    expect(b.manifest.files.map((f) => f.path)).toEqual(a.manifest.files.map((f) => f.path));
    expect((await readFile(gz)).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    await expect(backup(dataDir, plain)).rejects.toMatchObject({ code: 'AIDA_CONFLICT' });
    await expect(backup(dataDir, join(dataDir, 'backups', 'b.tar'))).rejects.toThrow('is inside the data directory');
    expect((await backup(dataDir, plain, { force: true })).manifest.files.length).toBe(a.manifest.files.length);

    const target = join(root.dir, 'r');
    await restore(gz, target);
    expect((await listUsers(target)).map((u) => u.email)).toEqual((await listUsers(dataDir)).map((u) => u.email));
    await expect(restore(plain, target)).rejects.toMatchObject({ code: 'AIDA_CONFLICT', message: expect.stringContaining('is not empty') });
    await writeFile(join(target, 'stray.txt'), 'left from before');
    await restore(plain, target, { force: true });
    expect(existsSync(join(target, 'stray.txt'))).toBe(false);
    const t = await reopenShopHost(target, folder);
    try {
      const { token } = await signIn(t.url, ANALYST.email, ANALYST.password);
      expect(await query(t.url, token!, 'SELECT count(*)::INTEGER FROM orders')).toEqual([[100]]);
    } finally {
      await t.stop();
    }
  });

  it('refuses a damaged archive, one with links, one without a manifest and one from a newer schema, leaving the target empty', async () => {
    await stoppedInstance(30);
    const archive = join(root.dir, 'b.tar');
    await backup(dataDir, archive);
    const work = join(root.dir, 'unpacked');
    await mkdir(work);
    await tar.x({ file: archive, cwd: work });
    const manifest = manifestSchema.parse(JSON.parse(await readFile(join(work, MANIFEST_NAME), 'utf8')));
    const repack = async (name: string, entries = [MANIFEST_NAME, 'data']) => {
      const file = join(root.dir, name);
      await tar.c({ file, cwd: work }, entries);
      return file;
    };
    const target = join(root.dir, 'target');
    const expectEmptyTarget = async () => expect((await readdir(target)).filter((n) => n !== 'lost+found')).toEqual([]);

    const parquet = manifest.files.find((f) => f.path.endsWith('.parquet'))!;
    const bytes = await readFile(join(work, 'data', parquet.path));
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(join(work, 'data', parquet.path), bytes);
    await expect(restore(await repack('damaged.tar'), target)).rejects.toMatchObject({
      code: 'AIDA_INPUT_INVALID',
      message: expect.stringContaining(`${parquet.path} does not match its hash`),
    });
    await expectEmptyTarget();
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(join(work, 'data', parquet.path), bytes);

    await symlink('/etc/passwd', join(work, 'data', 'state', 'evil'));
    await expect(restore(await repack('link.tar'), target)).rejects.toThrow('entries a backup never has');
    await expectEmptyTarget();
    await import('node:fs/promises').then((fs) => fs.rm(join(work, 'data', 'state', 'evil')));

    await expect(restore(await repack('bare.tar', ['data']), target)).rejects.toThrow(`it has no ${MANIFEST_NAME}`);
    await writeFile(join(work, MANIFEST_NAME), JSON.stringify({ ...manifest, schema_version: 10_000 }));
    await expect(restore(await repack('future.tar'), target)).rejects.toMatchObject({ code: 'AIDA_SCHEMA_TOO_NEW' });
    await expectEmptyTarget();
    await writeFile(join(root.dir, 'not-a-tar'), 'hello');
    await expect(restore(join(root.dir, 'not-a-tar'), target)).rejects.toMatchObject({ code: 'AIDA_INPUT_INVALID' });
  });
});
