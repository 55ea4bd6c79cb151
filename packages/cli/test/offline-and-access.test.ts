import { readdir, stat, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daWorkspace, startDaHost, type DaHost } from './helpers.js';

const tables = {
  orders: { sql: 'SELECT range AS id, range * 2 AS amount FROM range(100)' },
  salaries: { sql: "SELECT 'ada' AS person, 100 AS salary UNION ALL SELECT 'ben', 90" },
};

async function admin(h: DaHost, method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true }).catch(() => [] as string[])).map(String).sort();
}

describe('da: tables the analyst may not read', () => {
  let h: DaHost;
  beforeAll(async () => {
    h = await startDaHost(tables);
  });
  afterAll(() => h?.stop());

  it('never reach the laptop, and leave it when access is taken away', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', h.url, '--token', h.analystToken]);
      await admin(h, 'PUT', '/api/admin/registry/salaries', { is_public: false });
      const s1 = await ws.run(['sync', '--json']);
      expect(s1.code, s1.stderr).toBe(0);
      expect(s1.json<{ fetched: { table: string }[] }>().fetched.map((f) => f.table)).toEqual(['orders']);
      let files = await filesUnder(join(ws.dir, 'server'));
      expect(files.some((f) => f.includes('salaries'))).toBe(false);
      // Asked for by name, it is not there either — and the server refuses it remotely.
      const named = await ws.run(['sync', '--table', 'salaries', '--json']);
      expect(named.code).toBe(2);
      const remote = await ws.run(['query', '--remote', 'SELECT * FROM salaries', '--json']);
      expect(remote.code).toBe(3);
      expect(remote.json<{ error: { status: number } }>().error.status).toBe(403);
      const local = await ws.run(['query', 'SELECT * FROM salaries']);
      expect(local.code).toBe(5);
      expect(local.stderr).toMatch(/salaries/);

      // Granted: it arrives. Revoked (made private for everyone): it is removed again.
      await admin(h, 'POST', '/api/admin/permissions', { user_id: h.analystId, dataset: 'salaries', access: 'read' });
      const s2 = await ws.run(['sync', '--json']);
      expect(s2.json<{ fetched: { table: string }[] }>().fetched.map((f) => f.table)).toEqual(['salaries']);
      expect((await ws.run(['query', 'SELECT sum(salary) FROM salaries', '-f', 'csv'])).stdout).toBe('sum(salary)\n190\n');
      await admin(h, 'DELETE', '/api/admin/permissions', { user_id: h.analystId, dataset: 'salaries' });
      const s3 = await ws.run(['sync', '--json']);
      expect(s3.json<{ removed: string[] }>().removed).toEqual(['salaries']);
      files = await filesUnder(join(ws.dir, 'server'));
      expect(files.some((f) => f.includes('salaries'))).toBe(false);
      expect((await ws.run(['query', 'SELECT * FROM salaries'])).code).toBe(5);
      expect((await ws.run(['query', 'SELECT count(*) FROM orders', '-f', 'csv'])).stdout).toBe('count_star()\n100\n');
    } finally {
      await ws.cleanup();
    }
  });

  it('names each table a sync removes and says why', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', h.url, '--token', h.analystToken]);
      await admin(h, 'PUT', '/api/admin/registry/salaries', { is_public: false });
      await admin(h, 'POST', '/api/admin/permissions', { user_id: h.analystId, dataset: 'salaries', access: 'read' });
      expect((await ws.run(['sync'])).code).toBe(0);
      await admin(h, 'DELETE', '/api/admin/permissions', { user_id: h.analystId, dataset: 'salaries' });
      const why = /no longer in your sync manifest\b.*access.*revoked.*removed on the server/;
      const dry = await ws.run(['sync', '--dry-run']);
      expect(dry.stdout).toMatch(new RegExp(`^remove\\s+salaries: ${why.source}`, 'm'));
      const dryJson = await ws.run(['sync', '--dry-run', '--json']);
      expect(dryJson.json<{ remove: string[]; removals: unknown[] }>()).toMatchObject({
        remove: ['salaries'],
        removals: [{ table: 'salaries', reason: 'not_in_manifest', message: expect.stringMatching(why) }],
      });
      const s = await ws.run(['sync']);
      expect(s.code, s.stderr).toBe(0);
      expect(s.stdout).toMatch(new RegExp(`^removed\\s+salaries: ${why.source}`, 'm'));
      expect(s.stdout).toMatch(/1 removed \(salaries\)/);
      await admin(h, 'POST', '/api/admin/permissions', { user_id: h.analystId, dataset: 'salaries', access: 'read' });
      expect((await ws.run(['sync'])).code).toBe(0);
      await admin(h, 'DELETE', '/api/admin/permissions', { user_id: h.analystId, dataset: 'salaries' });
      const j = await ws.run(['sync', '--json']);
      expect(j.json<{ removed: string[]; removals: { table: string; reason: string }[] }>()).toMatchObject({
        removed: ['salaries'],
        removals: [{ table: 'salaries', reason: 'not_in_manifest' }],
      });
    } finally {
      await ws.cleanup();
    }
  });
});

describe('da with the server stopped', () => {
  it('queries local data, explores a saved profile, answers status --local, and says the server is unreachable otherwise', async () => {
    const h = await startDaHost(tables);
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', h.url, '--token', h.analystToken]);
      expect((await ws.run(['sync'])).code).toBe(0);
      const online = await ws.run(['explore', 'orders', '--json']);
      expect(online.code, online.stderr).toBe(0);
      expect(online.json<{ profile: { rows: number } }>().profile.rows).toBe(100);
      await h.stop();

      const q = await ws.run(['query', 'SELECT count(*) AS n, max(amount) AS m FROM orders', '--json']);
      expect(q.code, q.stderr).toBe(0);
      expect(q.json<{ rows: unknown[][]; source: string }>()).toMatchObject({ rows: [[100, 198]], source: 'local' });

      const st = await ws.run(['status', '--local', '--json']);
      expect(st.code, st.stderr).toBe(0);
      const local = st.json<{ local: { tables: number; rows: number; synced_at: string; server: string } }>().local;
      expect(local).toMatchObject({ tables: 2, rows: 102, server: h.url });
      expect(Date.parse(local.synced_at)).toBeGreaterThan(Date.now() - 60_000);
      const human = await ws.run(['status', '--local']);
      expect(human.stdout).toMatch(/tables\s+2 \(102 rows/);
      const listed = await ws.run(['status', '--local', '--tables']);
      expect(listed.stdout).toMatch(/orders\s+100\s+[\d.]+ (B|KB)\s+1/);
      expect(listed.stdout).toMatch(/salaries\s+2\s+/);

      const ex = await ws.run(['explore', 'orders', '--json']);
      expect(ex.code, ex.stderr).toBe(0);
      expect(ex.json<{ source: string; profile: { columns: { name: string }[] } }>()).toMatchObject({
        source: 'local',
        profile: { columns: [{ name: 'id' }, { name: 'amount' }] },
      });
      const exHuman = await ws.run(['explore', 'orders']);
      expect(exHuman.stdout).toMatch(/amount\s+/);

      const remote = await ws.run(['status', '--json'], { env: { DA_RETRIES: '0' } });
      expect(remote.code).toBe(4);
      expect(remote.json<{ error: { kind: string; message: string } }>().error).toMatchObject({
        kind: 'network',
        message: expect.stringMatching(/Cannot reach/),
      });
      const diag = await ws.run(['diagnose', '--json'], { env: { DA_RETRIES: '0' } });
      expect(diag.code).toBe(4);
      expect(diag.json<{ checks: { name: string; status: string }[] }>().checks).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'server', status: 'fail' }), expect.objectContaining({ name: 'local files', status: 'ok' })]),
      );
    } finally {
      await ws.cleanup();
      await h.stop().catch(() => undefined);
    }
  });
});

describe('da status with the server down', () => {
  it('shows the local state at once, says the server is unreachable and points at da login / da diagnose', async () => {
    const h = await startDaHost(tables);
    const ws = await daWorkspace();
    const silent = createServer(() => undefined); // accepts connections, never answers
    const sockets = new Set<Socket>();
    silent.on('connection', (c) => sockets.add(c));
    try {
      await ws.run(['login', '--server', h.url, '--token', h.analystToken]);
      expect((await ws.run(['sync'])).code).toBe(0);
      await h.stop();
      // Retries with a backoff of a minute each: had status waited for even one, it would take
      // over 60 s. Well under that whatever the machine's load, so it waited for none.
      const slow = { DA_RETRIES: '3', DA_BACKOFF_MS: '60000' };
      const t0 = Date.now();
      const r = await ws.run(['status', '--json'], { env: slow });
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(r.code).toBe(4);
      const body = r.json<{
        local: { tables: number; server: string };
        remote: { server: string; reachable: boolean };
        error: { kind: string; message: string; hint: string };
      }>();
      expect(body.local).toMatchObject({ tables: 2, server: h.url });
      expect(body.remote).toEqual({ server: h.url, reachable: false });
      expect(body.error).toMatchObject({ kind: 'network', message: expect.stringMatching(/Cannot reach/) });
      expect(body.error.hint).toMatch(/da login --server/);
      expect(body.error.hint).toMatch(/da diagnose/);
      expect(body.error.hint).not.toMatch(/da status/);

      const human = await ws.run(['status'], { env: slow });
      expect(human.code).toBe(4);
      expect(human.stdout).toMatch(/tables\s+2 \(102 rows/);
      expect(human.stdout).toMatch(/server health\s+unreachable: Cannot reach/);
      expect(human.stderr).toMatch(/hint: .*da login --server/);
      expect(human.stderr).not.toMatch(/\(da status\)/);

      // A server that never answers gets one short attempt, not DA_TIMEOUT_MS (30 s) per try.
      await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
      const t1 = Date.now();
      const hung = await ws.run(['status', '--json', '--server', `http://127.0.0.1:${(silent.address() as AddressInfo).port}`], { env: slow });
      // Under the 30 s a full try would take, even with a slow start of the process.
      expect(Date.now() - t1).toBeLessThan(25_000);
      expect(hung.code).toBe(4);
      expect(hung.json<{ local: { tables: number }; remote: { reachable: boolean } }>()).toMatchObject({ local: { tables: 2 }, remote: { reachable: false } });
    } finally {
      for (const c of sockets) c.destroy();
      silent.close();
      await ws.cleanup();
      await h.stop().catch(() => undefined);
    }
  });
});

describe('da diagnose', () => {
  it('is all ok after a sync, and fails with exit code 5 naming a damaged file', async () => {
    const h = await startDaHost(tables);
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', h.url, '--token', h.analystToken]);
      await ws.run(['sync']);
      const ok = await ws.run(['diagnose', '--json']);
      expect(ok.code, ok.stdout).toBe(0);
      const checks = ok.json<{ ok: boolean; checks: { name: string; status: string }[] }>();
      expect(checks.ok).toBe(true);
      expect(checks.checks.map((c) => c.name)).toEqual(['server', 'token', 'local files', 'freshness', 'database', 'disk']);
      expect(checks.checks.filter((c) => c.status === 'fail')).toEqual([]);

      const file = join(ws.dir, 'server/parquet/orders.parquet');
      const size = (await stat(file)).size;
      const bytes = await readFile(file);
      bytes[10] ^= 0x55;
      await writeFile(file, bytes);
      expect((await stat(file)).size).toBe(size);
      const bad = await ws.run(['diagnose']);
      expect(bad.code).toBe(5);
      expect(bad.stdout).toMatch(/local files\s+FAIL\s+server\/parquet\/orders\.parquet does not match its MD5/);
    } finally {
      await ws.cleanup();
      await h.stop();
    }
  });
});
