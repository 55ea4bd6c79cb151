import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { localFilesPlugin } from '@aida/host';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Grant, RegistryEntry, User } from '../src/commands/admin.js';
import { ADMIN, ANALYST, daWorkspace, startDaHost, type DaHost } from './helpers.js';

interface ErrorBody {
  error: { kind: string; message: string; hint?: string };
}
type Ws = Awaited<ReturnType<typeof daWorkspace>>;

const workspaces: Ws[] = [];
/** A fresh workspace signed in with `token` (cleaned up after each test). */
async function signedIn(url: string, token: string): Promise<Ws> {
  const ws = await daWorkspace();
  workspaces.push(ws);
  const login = await ws.run(['login', '--server', url, '--token', token, '--json']);
  expect(login.code, login.stderr + login.stdout).toBe(0);
  return ws;
}
afterEach(async () => {
  await Promise.all(workspaces.splice(0).map((ws) => ws.cleanup()));
});

/** Runs `da …args --json`, expects exit 0 and returns the parsed answer. */
async function ok<T>(ws: Ws, args: string[], stdin?: string): Promise<T> {
  const r = await ws.run([...args, '--json'], { stdin });
  expect(r.code, `da ${args.join(' ')}: ${r.stderr}${r.stdout}`).toBe(0);
  return r.json<T>();
}

/** Runs `da …args --json`, expects `code` and returns the error body. */
async function fails(ws: Ws, args: string[], code: number): Promise<ErrorBody['error']> {
  const r = await ws.run([...args, '--json']);
  expect(r.code, `da ${args.join(' ')}: ${r.stderr}${r.stdout}`).toBe(code);
  return r.json<ErrorBody>().error;
}

const userByEmail = async (ws: Ws, email: string) => (await ok<{ users: User[] }>(ws, ['admin', 'users', 'list'])).users.find((u) => u.email === email);

describe('da admin against a real host', () => {
  let h: DaHost;
  beforeAll(async () => {
    h = await startDaHost({
      orders: { sql: 'SELECT range AS id, range % 7 AS customer FROM range(100)' },
      customers: { sql: "SELECT range AS id, 'c' || range AS name FROM range(7)" },
    });
  });
  afterAll(() => h?.stop());

  it('users list shows every user as JSON and as a table; an analyst is refused with exit 3', async () => {
    const admin = await signedIn(h.url, h.adminToken);
    const list = await ok<{ users: User[]; count: number }>(admin, ['admin', 'users', 'list']);
    expect(list.users.map((u) => u.email).sort()).toEqual([ADMIN.email, ANALYST.email]);
    expect(list.count).toBe(2);
    expect(list.users.find((u) => u.email === ANALYST.email)).toMatchObject({ id: h.analystId, role: 'analyst', active: true, name: ANALYST.name });

    const human = await admin.run(['admin', 'users', 'list']);
    expect(human.code).toBe(0);
    const lines = human.stdout.trim().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['id', 'email', 'name', 'role', 'active']);
    expect(lines.find((l) => l.includes(ANALYST.email))).toMatch(new RegExp(`^${h.analystId}\\s+${ANALYST.email}\\s+Ana\\s+analyst\\s+yes$`));

    const analyst = await signedIn(h.url, h.analystToken);
    const refused = await fails(analyst, ['admin', 'users', 'list'], 3);
    expect(refused.kind).toBe('auth');
    const plain = await analyst.run(['admin', 'users', 'list']);
    expect(plain.code).toBe(3);
    expect(plain.stdout).toBe('');
    expect((await fails(analyst, ['admin', 'sync'], 3)).kind).toBe('auth');
  });

  it('users add returns an invite link that really sets a password; --password-stdin sets one directly; a bad role is exit 2', async () => {
    const admin = await signedIn(h.url, h.adminToken);
    const added = await ok<User & { invite_url: string | null; invite: { token: string } | null }>(admin, [
      'admin',
      'users',
      'add',
      'new.viewer@example.com',
      '--name',
      'Nia',
      '--role',
      'viewer',
    ]);
    expect(added).toMatchObject({ email: 'new.viewer@example.com', name: 'Nia', role: 'viewer', active: true });
    expect(added.invite_url).toMatch(new RegExp(`^${h.url}/login/setup\\?`));
    const link = new URL(added.invite_url!);
    expect(link.searchParams.get('email')).toBe('new.viewer@example.com');
    expect(link.searchParams.get('token')).toBe(added.invite!.token);
    const setup = await fetch(`${h.url}/auth/password/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: link.searchParams.get('email'), token: link.searchParams.get('token'), password: 'viewer-password-1' }),
    });
    expect(setup.status).toBe(200);
    const viewer = await daWorkspace();
    workspaces.push(viewer);
    const login = await ok<{ user: User }>(
      viewer,
      ['login', '--server', h.url, '--email', 'new.viewer@example.com', '--password-stdin'],
      'viewer-password-1\n',
    );
    expect(login.user).toMatchObject({ email: 'new.viewer@example.com', role: 'viewer' });

    const human = await admin.run(['admin', 'users', 'add', 'second@example.com']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^Created second@example\.com \(analyst\)\.\nInvite link .*\n/);
    expect(human.stdout).toContain(`${h.url}/login/setup?email=second%40example.com&token=`);

    const withPassword = await ok<User & { invite_url: string | null }>(
      admin,
      ['admin', 'users', 'add', 'pw@example.com', '--role', 'analyst', '--password-stdin'],
      'chosen-password-1\n',
    );
    expect(withPassword.invite_url).toBeNull();
    const pw = await daWorkspace();
    workspaces.push(pw);
    expect((await ok<{ user: User }>(pw, ['login', '--server', h.url, '--email', 'pw@example.com', '--password-stdin'], 'chosen-password-1')).user.role).toBe(
      'analyst',
    );

    const bad = await fails(admin, ['admin', 'users', 'add', 'bad.role@example.com', '--role', 'superuser'], 2);
    expect(bad.kind).toBe('usage');
    for (const role of ['viewer', 'analyst', 'km_admin', 'admin']) expect(bad.message).toContain(role);
    expect(await userByEmail(admin, 'bad.role@example.com')).toBeUndefined();
    expect((await fails(admin, ['admin', 'users', 'set-role', 'second@example.com', 'owner'], 2)).message).toMatch(/Unknown role 'owner'.*km_admin/);
    expect((await fails(admin, ['admin', 'users', 'add', 'pw@example.com'], 2)).kind).toBe('usage'); // 409 duplicate
  });

  it('set-role, deactivate, activate and remove a user, by email and by id', async () => {
    const admin = await signedIn(h.url, h.adminToken);
    const created = await ok<User>(admin, ['admin', 'users', 'add', 'Life.Cycle@example.com', '--password-stdin'], 'lifecycle-password-1');
    const email = created.email;

    const promoted = await ok<User>(admin, ['admin', 'users', 'set-role', 'life.cycle@example.com', 'km_admin']);
    expect(promoted).toMatchObject({ id: created.id, role: 'km_admin' });
    expect((await userByEmail(admin, email))?.role).toBe('km_admin');
    const demoted = await admin.run(['admin', 'users', 'set-role', created.id, 'viewer']);
    expect(demoted.stdout.trim()).toBe(`${email} is now viewer.`);
    expect((await userByEmail(admin, email))?.role).toBe('viewer');

    const token = async () =>
      fetch(`${h.url}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'lifecycle-password-1' }),
      });
    const session = String(((await (await token()).json()) as { access_token: string }).access_token);
    const theirs = await signedIn(h.url, session);
    expect((await ok<User & { active: boolean }>(admin, ['admin', 'users', 'deactivate', created.id])).active).toBe(false);
    expect((await userByEmail(admin, email))?.active).toBe(false);
    expect((await theirs.run(['whoami'])).code).toBe(3);
    expect((await token()).status).toBe(401);

    expect((await ok<User>(admin, ['admin', 'users', 'activate', email])).active).toBe(true);
    expect((await token()).status).toBe(200);
    expect((await theirs.run(['whoami'])).code).toBe(0);

    expect(await ok<{ status: string; user: { id: string; email: string } }>(admin, ['admin', 'users', 'remove', email])).toEqual({
      status: 'removed',
      user: { id: created.id, email },
    });
    expect(await userByEmail(admin, email)).toBeUndefined();
    expect((await fails(admin, ['admin', 'users', 'remove', email], 2)).message).toBe(`No user with email '${email}'`);
    expect((await fails(admin, ['admin', 'users', 'deactivate', created.id], 2)).message).toBe(`No user with id '${created.id}'`);

    const byId = await ok<User>(admin, ['admin', 'users', 'add', 'by.id@example.com']);
    const removed = await admin.run(['admin', 'users', 'remove', byId.id]);
    expect(removed.stdout.trim()).toBe('Removed by.id@example.com.');
    expect(await userByEmail(admin, 'by.id@example.com')).toBeUndefined();
  });

  it('a private table leaves the analyst’s sync until a bucket grant or a table grant brings it back', async () => {
    const admin = await signedIn(h.url, h.adminToken);
    const registry = await ok<{ tables: RegistryEntry[]; count: number }>(admin, ['admin', 'tables', 'list']);
    expect(registry.tables.map((t) => t.id)).toEqual(['customers', 'orders']);
    const orders = registry.tables.find((t) => t.id === 'orders')!;
    expect(orders.is_public).toBe(true);
    const bucket = orders.bucket;
    expect(bucket).toBeTruthy();
    const listed = await admin.run(['admin', 'tables', 'list']);
    expect(listed.stdout.split('\n').find((l) => l.startsWith('orders'))).toMatch(new RegExp(`^orders\\s+${bucket}\\s+yes\\s+${orders.sync_strategy}`));

    const set = await ok<RegistryEntry>(admin, ['admin', 'tables', 'set', 'orders', '--private', '--description', 'Orders, restricted']);
    expect(set).toMatchObject({ id: 'orders', is_public: false, description: 'Orders, restricted', sync_strategy: orders.sync_strategy, bucket });
    expect((await ok<{ tables: RegistryEntry[] }>(admin, ['admin', 'tables', 'list'])).tables.find((t) => t.id === 'orders')?.is_public).toBe(false);

    const analyst = await signedIn(h.url, h.analystToken);
    const fetchedTables = async () => (await ok<{ fetched: { table: string }[] }>(analyst, ['sync'])).fetched.map((f) => f.table);
    expect(await fetchedTables()).toEqual(['customers']);

    const grant = await ok<Grant>(admin, ['admin', 'permissions', 'grant', ANALYST.email, `${bucket}.*`]);
    expect(grant).toMatchObject({ user_id: h.analystId, dataset: `${bucket}.*`, access: 'read' });
    expect((await ok<{ permissions: Grant[] }>(admin, ['admin', 'permissions', 'list'])).permissions).toEqual([
      expect.objectContaining({ user_id: h.analystId, dataset: `${bucket}.*`, access: 'read' }),
    ]);
    expect((await ok<{ permissions: Grant[] }>(admin, ['admin', 'permissions', 'list', ANALYST.email])).permissions.map((g) => g.dataset)).toEqual([
      `${bucket}.*`,
    ]);
    const human = await admin.run(['admin', 'permissions', 'list', h.analystId]);
    expect(human.stdout).toMatch(new RegExp(`^${ANALYST.email}\\s+${bucket}\\.\\*\\s+read\\s+${ADMIN.email}`, 'm'));
    expect(await fetchedTables()).toEqual(['orders']);

    expect(await ok(admin, ['admin', 'permissions', 'revoke', ANALYST.email, `${bucket}.*`])).toEqual({
      status: 'revoked',
      user_id: h.analystId,
      email: ANALYST.email,
      dataset: `${bucket}.*`,
    });
    expect((await ok<{ permissions: Grant[] }>(admin, ['admin', 'permissions', 'list', ANALYST.email])).permissions).toEqual([]);
    expect((await fails(admin, ['admin', 'permissions', 'revoke', ANALYST.email, `${bucket}.*`], 2)).message).toMatch(/No grant/);
    expect((await ok<{ remove: string[] }>(analyst, ['sync', '--dry-run'])).remove).toEqual(['orders']);
    expect((await ok<{ removed?: string[]; tables: number }>(analyst, ['sync'])).tables).toBe(1);

    // A grant of the table itself, by user id.
    await ok(admin, ['admin', 'permissions', 'grant', h.analystId, 'orders']);
    expect(await fetchedTables()).toEqual(['orders']);
    await ok(admin, ['admin', 'permissions', 'revoke', h.analystId, 'orders']);
    expect((await ok<{ remove: string[] }>(analyst, ['sync', '--dry-run'])).remove).toEqual(['orders']);

    expect((await fails(admin, ['admin', 'permissions', 'grant', 'nobody@example.com', 'orders'], 2)).message).toBe("No user with email 'nobody@example.com'");
    expect((await fails(analyst, ['admin', 'permissions', 'list'], 3)).kind).toBe('auth');

    expect((await ok<RegistryEntry>(admin, ['admin', 'tables', 'set', 'orders', '--public'])).is_public).toBe(true);
    expect((await ok<{ remove: string[]; fetch: unknown[] }>(analyst, ['sync', '--dry-run'])).remove).toEqual([]);
  }, 120_000);

  it('tables set changes only the given fields and refuses bad input; tables remove deletes a registration', async () => {
    const admin = await signedIn(h.url, h.adminToken);
    const before = (await ok<{ tables: RegistryEntry[] }>(admin, ['admin', 'tables', 'list'])).tables.find((t) => t.id === 'customers')!;
    const after = await ok<RegistryEntry>(admin, ['admin', 'tables', 'set', 'customers', '--strategy', 'incremental']);
    expect(after).toEqual({ ...before, sync_strategy: 'incremental' });
    expect((await fails(admin, ['admin', 'tables', 'set', 'customers'], 2)).message).toBe('Nothing to change');
    expect((await fails(admin, ['admin', 'tables', 'set', 'customers', '--public', '--private'], 2)).message).toMatch(/exclude/);
    expect((await fails(admin, ['admin', 'tables', 'set', 'customers', '--strategy', 'sometimes'], 2)).message).toMatch(/Unknown strategy 'sometimes'/);
    expect((await fails(admin, ['admin', 'tables', 'set', 'customers', '--schedule', 'not a schedule'], 2)).kind).toBe('usage');
    expect((await fails(admin, ['admin', 'tables', 'set', 'ghost', '--public'], 2)).message).toMatch(/ghost/);

    const reg = await fetch(`${h.url}/api/admin/register-table`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${h.adminToken}` },
      body: JSON.stringify({ name: 'Scratch Pad' }),
    });
    expect(reg.status).toBe(201);
    expect((await ok<{ tables: RegistryEntry[] }>(admin, ['admin', 'tables', 'list'])).tables.map((t) => t.id)).toContain('scratch_pad');
    expect(await ok(admin, ['admin', 'tables', 'remove', 'scratch_pad'])).toEqual({ status: 'removed', table: 'scratch_pad' });
    expect((await ok<{ tables: RegistryEntry[] }>(admin, ['admin', 'tables', 'list'])).tables.map((t) => t.id)).toEqual(['customers', 'orders']);
    expect((await fails(admin, ['admin', 'tables', 'remove', 'scratch_pad'], 2)).message).toMatch(/scratch_pad/);
  });
});

describe('da admin tables discover and da admin sync, with a connector', () => {
  let t: TestHost;
  let folder: string;
  let token: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'da-admin-src-'));
    await writeFile(join(folder, 'cities.csv'), 'city,people\nPrague,1300000\nBrno,400000\n');
    t = await startTestHost({ plugins: [{ plugin: localFilesPlugin, config: { sources: [{ name: 'files', path: folder }] } }] });
    const post = async (path: string, body: unknown) =>
      (await (await t.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as {
        access_token?: string;
      };
    await post('/auth/bootstrap', ADMIN);
    token = String((await post('/auth/token', ADMIN)).access_token);
  });
  afterAll(async () => {
    await t?.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it('discover lists what the connector sees; admin sync runs it, after which the table is registered', async () => {
    const admin = await signedIn(t.url, token);
    const discovered = await ok<{ tables: { name: string; source: string; registered: boolean }[]; count: number }>(admin, ['admin', 'tables', 'discover']);
    expect(discovered.tables).toEqual([expect.objectContaining({ name: 'cities', source: 'files', registered: false })]);
    expect(discovered.count).toBe(1);
    const human = await admin.run(['admin', 'tables', 'discover']);
    expect(human.stdout).toMatch(/^files\s+cities\s+local\s+no\s+cities\.csv/m);
    expect((await ok<{ tables: RegistryEntry[] }>(admin, ['admin', 'tables', 'list'])).tables).toEqual([]);

    const all = await ok<{ status: string; tables: unknown; sources: string[] }>(admin, ['admin', 'sync']);
    expect(all).toMatchObject({ status: 'triggered', tables: 'all', sources: ['files'] });
    const deadline = Date.now() + 20_000;
    let ids: string[] = [];
    while (!ids.includes('cities') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      ids = (await ok<{ tables: RegistryEntry[] }>(admin, ['admin', 'tables', 'list'])).tables.map((e) => e.id);
    }
    expect(ids).toEqual(['cities']);
    expect((await ok<{ tables: { registered: boolean }[] }>(admin, ['admin', 'tables', 'discover'])).tables.map((d) => d.registered)).toEqual([true]);

    const one = await admin.run(['admin', 'sync', 'cities', '--json']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.json()).toMatchObject({ status: 'triggered', tables: ['cities'], sources: ['files'] });
    const text = await admin.run(['admin', 'sync', 'cities']);
    expect(text.stdout.trim()).toBe('Sync queued for 1 source(s): extract, rebuild, profile');
    expect((await fails(admin, ['admin', 'sync', 'ghost_table'], 2)).message).toMatch(/ghost_table/);
  });
});
