import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tokens } from '@aida/core';
import memoryPlugin from '@aida/plugin-memory';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { readCatalog } from '../../src/admin/duckdb-catalog.js';
import { openReadOnly, systemDbPath } from '../../src/admin/stopped-instance.js';
import { localFilesPlugin } from '../../src/local-files/plugin.js';
import { dropTestSchema, TEST_POSTGRES_URL } from '../../src/testing/test-state.js';
import { bootstrap, call } from '../identity/helpers.js';
import { ADMIN, aida, signIn, tempRoot, writeOrders } from './helpers.js';

/** A 1×1 PNG: the chart a notification carries (a BLOB in DuckDB, BYTEA in PostgreSQL). */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
const ANALYST = { email: 'ana@example.com', password: 'ana-password-1' };

let root: { dir: string; cleanup: () => Promise<void> };
let dataDir: string;
let folder: string;
let schema: string;
/** The working directory of the `aida` commands: its config/instance.yaml names the PostgreSQL state. */
let cwd: string;
beforeEach(async () => {
  root = await tempRoot('aida-ms-');
  dataDir = join(root.dir, 'd');
  folder = join(root.dir, 'shop');
  cwd = join(root.dir, 'op');
  schema = `aida_ms_${randomBytes(6).toString('hex')}`;
  await writeOrders(folder, 30);
  await mkdir(join(cwd, 'config'), { recursive: true });
  await writeFile(
    join(cwd, 'config', 'instance.yaml'),
    `data_dir: ${JSON.stringify(dataDir)}\nstate:\n  backend: postgres\n  url: ${JSON.stringify(TEST_POSTGRES_URL)}\n  schema: ${schema}\n`,
  );
});
afterEach(async () => {
  await dropTestSchema(schema);
  await root.cleanup();
});

/** The instance's host: the shop source and the memory plugin, its state where `state` says. */
function instanceHost(state: Record<string, unknown>): Promise<TestHost> {
  return startTestHost({
    dataDir,
    plugins: [
      { plugin: localFilesPlugin, config: { sources: [{ name: 'shop', path: folder }] } },
      { plugin: memoryPlugin, config: {} },
    ],
    config: { state, analytics: { profile_after_rebuild: false } },
  });
}
const onDuckDb = () => instanceHost({ backend: 'duckdb' });
const onPostgres = () => instanceHost({ backend: 'postgres', url: TEST_POSTGRES_URL, schema });

interface Populated {
  analystId: string;
  pat: string;
  notificationId: string;
  memoryId: string;
}

/** A DuckDB instance used as people use one: users, a PAT, a grant, audit rows, a notification with a chart, an alert rule, a memory item. Stopped. */
async function populatedInstance(): Promise<Populated> {
  const t = await onDuckDb();
  try {
    const synced = await t.host.syncSource('shop');
    expect(synced.error).toBeUndefined();
    const admin = await bootstrap(t);
    const analyst = await call(t, 'POST', '/api/users', { token: admin, body: { ...ANALYST, name: 'Ana', role: 'analyst' } });
    expect(analyst.status).toBe(201);
    const analystId = analyst.json.id as string;
    const pat = await call(t, 'POST', '/auth/tokens', { token: admin, body: { name: 'laptop', expires_in_days: 30 } });
    expect(pat.status).toBe(201);
    expect((await call(t, 'POST', '/api/admin/permissions', { token: admin, body: { user_id: analystId, dataset: 'orders' } })).status).toBe(201);
    const ana = (await call(t, 'POST', '/auth/token', { body: ANALYST })).json.access_token as string;
    const sent = await t.host
      .resolve(tokens.notifications)
      .send({ userId: analystId, title: 'Orders dropped', body: 'see the chart', origin: 'test', chart: { png: PNG, alt: 'orders per day' }, channels: [] });
    const rule = await call(t, 'POST', '/api/alerts', {
      token: ana,
      body: { name: 'Big orders', sql: 'SELECT order_id FROM orders WHERE amount > 90', schedule: '*/15 * * * *', message: '{{row_count}} big orders' },
    });
    expect(rule.status, rule.text).toBe(201);
    const item = await call(t, 'POST', '/api/memory', {
      token: ana,
      body: { title: 'Net revenue', content: 'Net revenue excludes refunds', category: 'business_logic', tags: ['revenue', "o'brien"] },
    });
    expect(item.status, item.text).toBe(201);
    return { analystId, pat: pat.json.token as string, notificationId: sent.notification.id, memoryId: item.json.id as string };
  } finally {
    await t.stop();
  }
}

/** Rows per table of the stopped instance's DuckDB file. */
async function duckDbCounts(): Promise<Record<string, number>> {
  const db = await openReadOnly(dataDir, systemDbPath(dataDir));
  try {
    return Object.fromEntries((await readCatalog(db)).tables.map((t) => [t.name, t.rows]));
  } finally {
    db.close();
  }
}

/** Rows per table of the target schema. */
async function postgresCounts(tables: readonly string[]): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    const out: Record<string, number> = {};
    for (const t of tables) out[t] = Number((await client.query(`SELECT count(*) AS n FROM "${schema}"."${t}"`)).rows[0].n);
    return out;
  } finally {
    await client.end();
  }
}

describe('aida migrate-state --from duckdb --to postgres', () => {
  it('copies every table into the config’s schema, and a host on PostgreSQL serves the same instance', async () => {
    const p = await populatedInstance();
    const before = await duckDbCounts();

    const out = await aida(['migrate-state', '--from', 'duckdb', '--to', 'postgres'], { cwd });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/in one transaction: \d+ tables/);
    expect(out.stderr).toMatch(/memory_items\s+1\s+\(created from the DuckDB catalog\)/);
    expect(out.stderr).toMatch(/jobs\s+\d+\s+not copied: .*re-creates its scheduled jobs/);
    expect(out.stderr).toContain('Sequences carried over: memory_audit_seq');

    // Every table but the migrations' bookkeeping and the embedded job table, with as many rows.
    const copied = Object.keys(before).filter((t) => t !== 'schema_version' && t !== 'jobs');
    expect(copied).toEqual(
      expect.arrayContaining(['users', 'personal_access_tokens', 'audit_log', 'notifications', 'alert_rules', 'memory_items', 'plugin_schema_version']),
    );
    const after = await postgresCounts(copied);
    expect(after).toEqual(Object.fromEntries(copied.map((t) => [t, before[t]])));
    for (const t of [
      'users',
      'personal_access_tokens',
      'dataset_permissions',
      'audit_log',
      'notifications',
      'alert_rules',
      'memory_items',
      'plugin_schema_version',
    ])
      expect(after[t], t).toBeGreaterThan(0);

    const t = await onPostgres();
    try {
      expect(t.host.systemDb!.dialect).toBe('postgres');
      // The same users with the same passwords, the PAT, the grant.
      expect((await signIn(t.url, ADMIN.email, ADMIN.password)).status).toBe(200);
      const ana = await signIn(t.url, ANALYST.email, ANALYST.password);
      expect(ana.status).toBe(200);
      const tokensOfAdmin = await call(t, 'GET', '/auth/tokens', { token: p.pat });
      expect(tokensOfAdmin.status).toBe(200);
      expect(JSON.stringify(tokensOfAdmin.json)).toContain('laptop');
      const grants = await call(t, 'GET', `/api/admin/permissions/${p.analystId}`, { token: p.pat });
      expect(grants.json.permissions).toEqual([expect.objectContaining({ dataset: 'orders', access: 'read' })]);
      // The chart's bytes (BLOB → BYTEA), the alert rule, the memory item with its tags (VARCHAR[]).
      const chart = await t.request(`/api/notifications/${p.notificationId}/chart`, { headers: { authorization: `Bearer ${ana.token}` } });
      expect(chart.status).toBe(200);
      expect(Buffer.from(await chart.arrayBuffer()).equals(PNG)).toBe(true);
      const rules = await call(t, 'GET', '/api/alerts', { token: ana.token });
      expect(JSON.stringify(rules.json)).toContain('Big orders');
      const item = await call(t, 'GET', `/api/memory/${p.memoryId}`, { token: ana.token });
      expect(item.status, item.text).toBe(200);
      expect(item.json.item).toMatchObject({ title: 'Net revenue', tags: ['revenue', "o'brien"], status: 'pending' });
      // The audit rows written on DuckDB are there (the host adds its own from here on).
      const audit = await t.host.systemDb!.all<{ n: number }>("SELECT count(*)::INTEGER AS n FROM audit_log WHERE action NOT LIKE 'aida %'");
      expect(audit[0].n).toBeGreaterThanOrEqual(before.audit_log);
    } finally {
      await t.stop();
    }
  });

  it('refuses a target that holds data, a data dir a live host holds, bad flags, and an unreachable server (password hidden)', async () => {
    await populatedInstance();
    expect((await aida(['migrate-state', '--from', 'duckdb', '--to', 'postgres'], { cwd })).code).toBe(0);

    const again = await aida(['migrate-state', '--from', 'duckdb', '--to', 'postgres'], { cwd });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('AIDA_CONFLICT');
    expect(again.stderr).toMatch(/already holds data \(.*audit_log: \d+ rows/);

    const flags = await aida(['migrate-state', '--from', 'postgres', '--to', 'duckdb'], { cwd });
    expect(flags.code).toBe(1);
    expect(flags.stderr).toContain('AIDA_INPUT_INVALID');
    expect(flags.stderr).toContain('--from duckdb --to postgres');

    const unreachable = await aida(['migrate-state', '--from', 'duckdb', '--to', 'postgres', '--url', 'postgresql://aida:hunter2-secret@127.0.0.1:1/aida'], {
      cwd,
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('AIDA_STATE_BACKEND_UNAVAILABLE');
    expect(unreachable.stderr).toContain('postgresql://aida:***@127.0.0.1:1/aida');
    expect(unreachable.stderr).not.toContain('hunter2');

    const t = await onDuckDb();
    try {
      const live = await aida(['migrate-state', '--from', 'duckdb', '--to', 'postgres', '--schema', `${schema}_other`], { cwd });
      expect(live.code).toBe(1);
      expect(live.stderr).toContain('AIDA_DATA_DIR_IN_USE');
      expect(live.stderr).toContain(`PID ${process.pid}`);
    } finally {
      await t.stop();
      await dropTestSchema(`${schema}_other`);
    }
  });
});

describe('operator commands on an instance whose state is in PostgreSQL', () => {
  it('admin create-user, list-users and migrate work while a host runs; backup and restore need --files-only', async () => {
    await populatedInstance();
    expect((await aida(['migrate-state', '--from', 'duckdb', '--to', 'postgres'], { cwd })).code).toBe(0);
    const t = await onPostgres();
    try {
      const created = await aida(['admin', 'create-user', 'new@example.com', '--role', 'analyst', '--password-stdin'], { cwd, input: 'new-password-1\n' });
      expect(created.code, created.stderr).toBe(0);
      // The running host finds a user it does not know yet in the database at sign-in.
      expect((await signIn(t.url, 'new@example.com', 'new-password-1')).status).toBe(200);
      // A password reset by the command reaches the running host through the change feed (it has the user cached).
      const reset = await aida(['admin', 'reset-password', 'new@example.com', '--password-stdin'], { cwd, input: 'newer-password-2\n' });
      expect(reset.code, reset.stderr).toBe(0);
      const deadline = Date.now() + 2000;
      while ((await signIn(t.url, 'new@example.com', 'newer-password-2')).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect((await signIn(t.url, 'new@example.com', 'newer-password-2')).status).toBe(200);
      expect((await signIn(t.url, 'new@example.com', 'new-password-1')).status).toBe(401);

      const listed = await aida(['admin', 'list-users', '--json'], { cwd });
      expect(listed.code, listed.stderr).toBe(0);
      expect((JSON.parse(listed.stdout) as { users: { email: string }[] }).users.map((u) => u.email)).toEqual([ADMIN.email, ANALYST.email, 'new@example.com']);

      const migrated = await aida(['migrate'], { cwd });
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(migrated.stderr).toMatch(new RegExp(`schema ${schema} is at schema version \\d+: nothing to migrate`));

      const archive = join(root.dir, 'files.tar');
      const whole = await aida(['backup', '--to', archive], { cwd });
      expect(whole.code).toBe(1);
      expect(whole.stderr).toContain(`pg_dump --format=custom --schema=${schema}`);
      const files = await aida(['backup', '--to', archive, '--files-only'], { cwd });
      expect(files.code, files.stderr).toBe(0);
      expect(files.stderr).toContain('The system tables are NOT in this archive');

      await t.stop();
      const restoreCwd = join(root.dir, 'op2');
      await mkdir(join(restoreCwd, 'config'), { recursive: true });
      const restored = join(root.dir, 'restored');
      await writeFile(
        join(restoreCwd, 'config', 'instance.yaml'),
        `data_dir: ${JSON.stringify(restored)}\nstate:\n  backend: postgres\n  url: ${JSON.stringify(TEST_POSTGRES_URL)}\n  schema: ${schema}\n`,
      );
      const refused = await aida(['restore', '--from', archive], { cwd: restoreCwd });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('Pass --files-only');
      const back = await aida(['restore', '--from', archive, '--files-only'], { cwd: restoreCwd });
      expect(back.code, back.stderr).toBe(0);
      expect(back.stderr).toContain('restore them into PostgreSQL');
    } finally {
      await t.stop();
    }
  });
});
