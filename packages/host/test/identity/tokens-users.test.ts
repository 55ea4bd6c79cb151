import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokens } from '@aida/core';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { ADMIN, bootstrap, call, decode, userWithSession } from './helpers.js';

let t: TestHost;
let admin: string;
let adminId: string;
beforeAll(async () => {
  t = await startTestHost();
  admin = await bootstrap(t);
  adminId = decode(admin).sub;
});
afterAll(() => t?.stop());

describe('personal access tokens', () => {
  it('create (201, shown once), use, list without the secret, revoke → 401; a PAT cannot mint PATs', async () => {
    const created = await call(t, 'POST', '/auth/tokens', { token: admin, body: { name: 'laptop', expires_in_days: 30 } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: expect.any(String), name: 'laptop', prefix: expect.stringMatching(/^aida_/), token: expect.any(String) });
    const pat = created.json.token as string;
    expect(decode(pat)).toMatchObject({ typ: 'pat', jti: created.json.id });
    expect((await call(t, 'GET', '/auth/me', { token: pat })).json).toMatchObject({ email: ADMIN.email, token_type: 'pat' });
    const listed = await call(t, 'GET', '/auth/tokens', { token: admin });
    expect(listed.json.tokens[0]).toMatchObject({ id: created.json.id, status: 'active' });
    expect(listed.text).not.toContain(pat);
    const mint = await call(t, 'POST', '/auth/tokens', { token: pat, body: { name: 'from a pat' } });
    expect(mint.status).toBe(403);
    expect(mint.json.code).toBe('AIDA_PAT_CANNOT_MINT');
    expect((await call(t, 'DELETE', `/auth/tokens/${created.json.id}`, { token: admin })).status).toBe(204);
    const revoked = await call(t, 'GET', '/auth/me', { token: pat });
    expect(revoked.status).toBe(401);
    expect(revoked.json.code).toBe('AIDA_TOKEN_REVOKED');
  });

  it('validates expiry: default 90 days, null never expires, beyond 3650 days refused', async () => {
    const def = await call(t, 'POST', '/auth/tokens', { token: admin, body: { name: 'default' } });
    const days = (Date.parse(def.json.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThan(90.1);
    const never = await call(t, 'POST', '/auth/tokens', { token: admin, body: { name: 'forever', expires_in_days: null } });
    expect(never.json.expires_at).toBeNull();
    expect(decode(never.json.token).exp).toBeUndefined();
    const tooLong = await call(t, 'POST', '/auth/tokens', { token: admin, body: { name: 'x', expires_in_days: 5000 } });
    expect(tooLong.status).toBe(400);
  });

  it('only the owner sees a token; an admin can list and revoke anyone’s', async () => {
    const u = await userWithSession(t, admin, 'owner@example.com', 'analyst');
    const mine = await call(t, 'POST', '/auth/tokens', { token: u.token, body: { name: 'mine' } });
    expect((await call(t, 'GET', `/auth/tokens/${mine.json.id}`, { token: admin })).status).toBe(404);
    const all = await call(t, 'GET', '/auth/admin/tokens', { token: admin });
    expect(all.json.tokens.map((x: { id: string }) => x.id)).toContain(mine.json.id);
    expect((await call(t, 'GET', '/auth/admin/tokens', { token: u.token })).status).toBe(403);
    expect((await call(t, 'DELETE', `/auth/admin/tokens/${mine.json.id}`, { token: admin })).status).toBe(204);
    expect((await call(t, 'GET', '/auth/me', { token: mine.json.token })).status).toBe(401);
  });
});

describe('users', () => {
  it('invite → single-use setup link sets the password; the link cannot be used twice', async () => {
    const created = await call(t, 'POST', '/api/users', { token: admin, body: { email: 'New.Person@Example.com', name: 'New Person', role: 'analyst' } });
    expect(created.status).toBe(201);
    expect(created.json.email).toBe('new.person@example.com');
    const { token } = created.json.invite;
    const shortPw = await call(t, 'POST', '/auth/password/setup', { body: { email: 'new.person@example.com', token, password: 'short' } });
    expect(shortPw.status).toBe(400);
    const ok = await call(t, 'POST', '/auth/password/setup', { body: { email: 'new.person@example.com', token, password: 'long-enough-1' } });
    expect(ok.status).toBe(200);
    expect(ok.json.email).toBe('new.person@example.com');
    const again = await call(t, 'POST', '/auth/password/setup', { body: { email: 'new.person@example.com', token, password: 'another-one-1' } });
    expect(again.status).toBe(400);
    expect((await call(t, 'POST', '/auth/token', { body: { email: 'new.person@example.com', password: 'long-enough-1' } })).status).toBe(200);
  });

  it('reset-password issues a fresh link that replaces the password', async () => {
    const u = await userWithSession(t, admin, 'forgetful@example.com', 'analyst');
    const reset = await call(t, 'POST', `/api/users/${u.id}/reset-password`, { token: admin });
    expect(reset.json.setup_path).toContain('/login/setup?email=forgetful%40example.com');
    expect(
      (await call(t, 'POST', '/auth/password/setup', { body: { email: 'forgetful@example.com', token: reset.json.token, password: 'brand-new-pass' } })).status,
    ).toBe(200);
    expect((await call(t, 'POST', '/auth/token', { body: { email: 'forgetful@example.com', password: 'user-password-1' } })).status).toBe(401);
  });

  it('409 on a duplicate email, 400 on an unknown role or a short password', async () => {
    expect((await call(t, 'POST', '/api/users', { token: admin, body: { email: ADMIN.email } })).status).toBe(409);
    expect((await call(t, 'POST', '/api/users', { token: admin, body: { email: 'r@example.com', role: 'superuser' } })).status).toBe(400);
    const u = await userWithSession(t, admin, 'pw@example.com', 'viewer');
    expect((await call(t, 'POST', `/api/users/${u.id}/set-password`, { token: admin, body: { password: 'short' } })).status).toBe(400);
  });

  it('an admin cannot demote, deactivate or delete themselves, nor remove the last admin', async () => {
    expect((await call(t, 'PATCH', `/api/users/${adminId}`, { token: admin, body: { role: 'analyst' } })).status).toBe(409);
    expect((await call(t, 'POST', `/api/users/${adminId}/deactivate`, { token: admin })).status).toBe(409);
    expect((await call(t, 'DELETE', `/api/users/${adminId}`, { token: admin })).status).toBe(409);
    const second = await userWithSession(t, admin, 'second-admin@example.com', 'admin');
    expect((await call(t, 'PATCH', `/api/users/${adminId}`, { token: second.token, body: { role: 'analyst' } })).status).toBe(200);
    // Now `second` is the only admin: nobody may take that away.
    const last = await call(t, 'DELETE', `/api/users/${second.id}`, { token: second.token });
    expect(last.status).toBe(409);
    expect((await call(t, 'PATCH', `/api/users/${adminId}`, { token: second.token, body: { role: 'admin' } })).status).toBe(200);
  });

  it('the user directory plugins get (tokens.users) finds users by id, one or many, and not once they are deleted', async () => {
    const users = t.host.resolve(tokens.users);
    const created = await call(t, 'POST', '/api/users', { token: admin, body: { email: 'Named@Example.com', name: 'Nora Named', role: 'analyst' } });
    const id = created.json.id as string;
    const nora = { id, email: 'named@example.com', name: 'Nora Named', role: 'analyst', active: true };
    expect(await users.findById(id)).toEqual(nora);
    expect(await users.findById('no-such-user')).toBeNull();
    const found = await users.findByIds([id, adminId, 'no-such-user', id]);
    expect([...found.keys()].sort()).toEqual([id, adminId].sort());
    expect(found.get(id)).toEqual(nora);
    expect(found.get(adminId)).toMatchObject({ email: ADMIN.email, name: ADMIN.name, role: 'admin' });
    // A summary only: never the password hash or timestamps of the stored record.
    expect(Object.keys(found.get(adminId)!).sort()).toEqual(['active', 'email', 'id', 'name', 'role']);
    expect((await call(t, 'DELETE', `/api/users/${id}`, { token: admin })).status).toBe(204);
    expect(await users.findById(id)).toBeNull();
    expect((await users.findByIds([id])).size).toBe(0);
  });

  it('a demoted user loses the role on their next request, without signing in again', async () => {
    const u = await userWithSession(t, admin, 'demoted@example.com', 'admin');
    expect((await call(t, 'GET', '/api/users', { token: u.token })).status).toBe(200);
    await call(t, 'PATCH', `/api/users/${u.id}`, { token: admin, body: { role: 'viewer' } });
    expect((await call(t, 'GET', '/api/users', { token: u.token })).status).toBe(403);
  });
});
