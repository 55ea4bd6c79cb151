import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUser } from '../../src/admin/create-user.js';
import { listUsers, renderUsers } from '../../src/admin/list-users.js';
import { resetPassword } from '../../src/admin/reset-password.js';
import { withStoppedInstance } from '../../src/admin/stopped-instance.js';
import { ADMIN, reopenShopHost, shopHost, signIn, tempRoot } from './helpers.js';

let root: { dir: string; cleanup: () => Promise<void> };
let dataDir: string;
let folder: string;
beforeEach(async () => {
  root = await tempRoot('aida-users-');
  dataDir = join(root.dir, 'd');
  folder = join(root.dir, 'shop');
  // A real instance: a host made it (migrations, the bootstrap admin), then stopped.
  const { t } = await shopHost(dataDir, folder, 20);
  await t.stop();
});
afterEach(() => root.cleanup());

/** Starts the instance, signs in, stops it again: what a user sees after an operator command. */
async function signInStatus(email: string, password: string): Promise<number> {
  const t = await reopenShopHost(dataDir, folder);
  try {
    return (await signIn(t.url, email, password)).status;
  } finally {
    await t.stop();
  }
}

describe('aida admin create-user', () => {
  it('with a password from stdin: the user signs in with it, and the audit log records the command', async () => {
    const out = await createUser(dataDir, { email: 'Ana@Example.com', role: 'analyst', name: 'Ana', password: 'ana-password-1' });
    expect(out).toMatchObject({ email: 'ana@example.com', role: 'analyst', setupLink: undefined });
    expect(await signInStatus('ana@example.com', 'ana-password-1')).toBe(200);
    const audit = await withStoppedInstance(dataDir, 'test', (db) =>
      db.all<{ action: string; resource: string; user_id: string | null }>(`SELECT action, resource, user_id FROM audit_log WHERE action LIKE 'aida %'`),
    );
    expect(audit).toEqual([{ action: 'aida admin create-user', resource: `/api/users/${out.id}`, user_id: null }]);
  });

  it('without a password: prints a single-use setup link at the base URL that lets the user set one', async () => {
    const out = await createUser(dataDir, { email: 'boss@example.com', role: 'admin', baseUrl: 'https://aida.example.org/' });
    expect(out.setupLink!.url).toMatch(/^https:\/\/aida\.example\.org\/login\/setup\?email=boss%40example\.com&token=[\w-]{20,}$/);
    expect(Date.parse(out.setupLink!.expires_at) - Date.now()).toBeGreaterThan(6 * 86_400_000);
    const t = await reopenShopHost(dataDir, folder);
    try {
      const token = new URL(out.setupLink!.url).searchParams.get('token')!;
      const page = await fetch(`${t.url}/login/setup?email=boss%40example.com&token=${encodeURIComponent(token)}`);
      expect(page.status).toBe(200);
      const set = await fetch(`${t.url}/auth/password/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'boss@example.com', token, password: 'boss-password-1' }),
      });
      expect(set.status, await set.clone().text()).toBeLessThan(300);
      expect((await signIn(t.url, 'boss@example.com', 'boss-password-1')).status).toBe(200);
    } finally {
      await t.stop();
    }
  });

  it('refuses a taken email, an unknown role and a short password, changing nothing', async () => {
    await expect(createUser(dataDir, { email: ADMIN.email, role: 'admin', password: 'another-pass-1' })).rejects.toMatchObject({ code: 'AIDA_EMAIL_TAKEN' });
    await expect(createUser(dataDir, { email: 'x@example.com', role: 'owner' })).rejects.toMatchObject({ code: 'AIDA_UNKNOWN_ROLE' });
    await expect(createUser(dataDir, { email: 'x@example.com', role: 'viewer', password: 'short' })).rejects.toMatchObject({ code: 'AIDA_PASSWORD_TOO_SHORT' });
    expect((await listUsers(dataDir)).map((u) => u.email)).toEqual([ADMIN.email]);
  });
});

describe('aida admin reset-password', () => {
  it('generated, chosen, or a setup link; only the newest password works', async () => {
    const generated = await resetPassword(dataDir, ADMIN.email);
    expect(generated.generated).toMatch(/^[\w-]{16}$/);
    expect(await signInStatus(ADMIN.email, ADMIN.password)).toBe(401);
    expect(await signInStatus(ADMIN.email, generated.generated!)).toBe(200);

    const chosen = await resetPassword(dataDir, ADMIN.email, { password: 'chosen-password-9' });
    expect(chosen.generated).toBeUndefined();
    expect(await signInStatus(ADMIN.email, 'chosen-password-9')).toBe(200);

    // A link keeps the current password until it is used (an instance with no password left would accept /auth/bootstrap).
    const link = await resetPassword(dataDir, ADMIN.email, { link: true, port: 9123 });
    expect(link.setupLink!.url).toMatch(/^http:\/\/localhost:9123\/login\/setup\?email=root%40example\.com&token=/);
    expect(Date.parse(link.setupLink!.expires_at) - Date.now()).toBeLessThanOrEqual(86_400_000);
    const t = await reopenShopHost(dataDir, folder);
    try {
      expect((await signIn(t.url, ADMIN.email, 'chosen-password-9')).status).toBe(200);
      const token = new URL(link.setupLink!.url).searchParams.get('token')!;
      const set = await fetch(`${t.url}/auth/password/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: ADMIN.email, token, password: 'linked-password-1' }),
      });
      expect(set.status).toBe(200);
      expect((await signIn(t.url, ADMIN.email, 'chosen-password-9')).status).toBe(401);
      expect((await signIn(t.url, ADMIN.email, 'linked-password-1')).status).toBe(200);
    } finally {
      await t.stop();
    }
  });

  it('names the admins when the email is unknown', async () => {
    await expect(resetPassword(dataDir, 'nobody@example.com')).rejects.toThrow(`No user with email nobody@example.com; the admins are: ${ADMIN.email}`);
  });
});

describe('aida admin list-users', () => {
  it('lists admins first, with role, state and whether a password is set', async () => {
    await createUser(dataDir, { email: 'zed@example.com', role: 'viewer' });
    await createUser(dataDir, { email: 'amy@example.com', role: 'analyst', password: 'amy-password-1' });
    const users = await listUsers(dataDir);
    expect(users.map((u) => [u.email, u.role, u.active, u.has_password])).toEqual([
      [ADMIN.email, 'admin', true, true],
      ['amy@example.com', 'analyst', true, true],
      ['zed@example.com', 'viewer', true, false],
    ]);
    const text = renderUsers(users).split('\n');
    expect(text[0]).toMatch(/^EMAIL\s+ROLE\s+STATE\s+PASSWORD\s+NAME$/);
    expect(text[3]).toMatch(/^zed@example\.com\s+viewer\s+active\s+no$/);
  });
});

describe('a live host', () => {
  it('makes every operator command that opens the system database refuse, naming its PID', async () => {
    const t = await reopenShopHost(dataDir, folder);
    try {
      const refusal = { code: 'AIDA_DATA_DIR_IN_USE', message: expect.stringContaining(`A live AIDA host (PID ${process.pid}`) };
      await expect(createUser(dataDir, { email: 'x@example.com', role: 'viewer' })).rejects.toMatchObject(refusal);
      await expect(resetPassword(dataDir, ADMIN.email)).rejects.toMatchObject(refusal);
      await expect(listUsers(dataDir)).rejects.toMatchObject(refusal);
    } finally {
      await t.stop();
    }
    expect((await listUsers(dataDir)).length).toBe(1);
  });
});
