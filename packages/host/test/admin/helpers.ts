import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { localFilesPlugin } from '../../src/local-files/plugin.js';
import { ADMIN, bootstrap } from '../identity/helpers.js';

/** The built `aida` binary (tests run after `tsc -b`, as `npm test` does). */
export const aidaBin = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** Short temp paths: the control socket's path must fit a unix socket address. */
export async function tempRoot(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes the `orders` source folder: `rows` orders (a new count makes a new Parquet file). */
export async function writeOrders(folder: string, rows: number): Promise<void> {
  await mkdir(folder, { recursive: true });
  const lines = ['order_id,customer,amount', ...Array.from({ length: rows }, (_, i) => `${i + 1},c${i % 13},${(i * 7) % 100}.5`)];
  await writeFile(join(folder, 'orders.csv'), `${lines.join('\n')}\n`);
  await writeFile(join(folder, 'customers.csv'), 'customer,name\nc1,Ada\nc2,Ben\n');
}

/** A host on `dataDir` with one local source `shop` (orders, customers), extracted, and the bootstrap admin. */
export async function shopHost(dataDir: string, folder: string, rows = 200): Promise<{ t: TestHost; admin: string }> {
  await writeOrders(folder, rows);
  const t = await startTestHost({
    dataDir,
    plugins: [{ plugin: localFilesPlugin, config: { sources: [{ name: 'shop', path: folder }] } }],
    config: { analytics: { profile_after_rebuild: false } },
  });
  const r = await t.host.syncSource('shop');
  if (r.error) throw new Error(r.error);
  return { t, admin: await bootstrap(t) };
}

/** The same host again on an existing data dir (after a restart or a restore). */
export function reopenShopHost(dataDir: string, folder: string): Promise<TestHost> {
  return startTestHost({
    dataDir,
    plugins: [{ plugin: localFilesPlugin, config: { sources: [{ name: 'shop', path: folder }] } }],
    config: { analytics: { profile_after_rebuild: false } },
  });
}

export { ADMIN };

/** Runs `aida <args>` to completion (asynchronously: a test's own HTTP load keeps running meanwhile). */
export async function aida(args: string[], opts: { input?: string; env?: Record<string, string>; cwd?: string } = {}) {
  const r = await aidaBytes(args, opts.input === undefined ? undefined : Buffer.from(opts.input), opts);
  return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr };
}

/** Runs `aida <args>` with binary standard input and output (an archive through a pipe). */
export function aidaBytes(
  args: string[],
  input?: Buffer,
  opts: { env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [aidaBin, ...args], {
      cwd: opts.cwd ?? tmpdir(),
      env: { ...process.env, AIDA_LOG_LEVEL: 'warn', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.end(input);
  });
}

/** Runs `aida <args>` in the background (a server), capturing its output. */
export function aidaServe(env: Record<string, string>, cwd: string): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [aidaBin, 'serve'], {
    cwd,
    env: { ...process.env, AIDA_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

// One polling helper for the repo's process tests.
export { waitFor } from '../../../../tests/helpers.js';

/** POST /auth/token: the status, and the session token on success. */
export async function signIn(base: string, email: string, password: string): Promise<{ status: number; token?: string }> {
  const res = await fetch(`${base}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const body = (await res.json().catch(() => ({}))) as { access_token?: string };
  return { status: res.status, token: body.access_token };
}

/** POST /api/query: the rows of a SELECT. */
export async function query(base: string, token: string, sql: string): Promise<unknown[][]> {
  const res = await fetch(`${base}/api/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ sql }),
  });
  if (res.status !== 200) throw new Error(`query failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { rows: unknown[][] }).rows;
}
