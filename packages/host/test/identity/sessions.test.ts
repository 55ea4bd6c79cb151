import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { ADMIN, bootstrap, call, decode, userWithSession } from './helpers.js';

let t: TestHost;
let admin: string;
beforeAll(async () => {
  t = await startTestHost({ config: { auth: { signin_limit: { per_account: 10, per_ip: 1000, window: '3s' } } } });
  admin = await bootstrap(t);
});
afterAll(() => t?.stop());

/** The secret the host signs with: its data dir's file, or the instance's row when the state is on PostgreSQL (shared by its hosts). */
async function signingSecret(): Promise<string> {
  const db = t.host.systemDb!;
  if (db.dialect === 'duckdb') return readFileSync(join(t.dataDir, 'state', 'jwt-secret'), 'utf8').trim();
  const [row] = await db.all<{ value: string }>('SELECT value FROM instance_secrets WHERE name = ?', ['jwt']);
  return row.value;
}

describe('bootstrap, sessions and roles', () => {
  it('bootstrap gives an admin session; a second bootstrap is refused', async () => {
    expect(decode(admin)).toMatchObject({ email: ADMIN.email, role: 'admin', typ: 'session' });
    const again = await call(t, 'POST', '/auth/bootstrap', { body: { email: 'other@example.com', password: 'another-pass-1' } });
    expect(again.status).toBe(403);
    expect(again.json.code).toBe('AIDA_ALREADY_BOOTSTRAPPED');
  });

  it('a role-guarded route: 401 without a token, 403 with too low a role, 200 with the right one', async () => {
    const viewer = await userWithSession(t, admin, 'viewer@example.com', 'viewer');
    expect((await call(t, 'GET', '/api/users')).status).toBe(401);
    const low = await call(t, 'GET', '/api/users', { token: viewer.token });
    expect(low.status).toBe(403);
    expect(low.json.message).toMatch(/admin role/);
    expect((await call(t, 'GET', '/api/users', { token: admin })).status).toBe(200);
  });

  it('/auth/token returns the documented shape and the claims of API.md', async () => {
    const r = await call(t, 'POST', '/auth/token', { body: { email: ADMIN.email, password: ADMIN.password } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ token_type: 'bearer', email: ADMIN.email, role: 'admin', user_id: expect.any(String), access_token: expect.any(String) });
    const c = decode(r.json.access_token);
    expect(Object.keys(c).sort()).toEqual(['email', 'exp', 'iat', 'jti', 'role', 'sub', 'typ']);
    expect(c.exp - c.iat).toBe(24 * 3600);
  });

  it('wrong password and unknown email get the same 401 message', async () => {
    const wrong = await call(t, 'POST', '/auth/token', { body: { email: ADMIN.email, password: 'nope-nope-nope' } });
    const unknown = await call(t, 'POST', '/auth/token', { body: { email: 'ghost@example.com', password: 'nope-nope-nope' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.json.message).toBe(unknown.json.message);
  });

  it('a JWT with another secret, with alg none, expired, or of a deactivated user → 401', async () => {
    const claims = decode(admin);
    const { exp: _e, iat: _i, ...base } = claims;
    const forged = jwt.sign(base, 'x'.repeat(48), { algorithm: 'HS256', expiresIn: 600 });
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...base, exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url')}.`;
    const secret = await signingSecret();
    const expired = jwt.sign({ ...base, exp: Math.floor(Date.now() / 1000) - 10 }, secret, { algorithm: 'HS256' });
    for (const token of [forged, none, expired]) expect((await call(t, 'GET', '/auth/me', { token })).status).toBe(401);
    expect((await call(t, 'GET', '/auth/me', { token: expired })).json.code).toBe('AIDA_TOKEN_EXPIRED');
    const u = await userWithSession(t, admin, 'leaver@example.com', 'analyst');
    expect((await call(t, 'GET', '/auth/me', { token: u.token })).status).toBe(200);
    expect((await call(t, 'POST', `/api/users/${u.id}/deactivate`, { token: admin })).status).toBe(200);
    const after = await call(t, 'GET', '/auth/me', { token: u.token });
    expect(after.status).toBe(401);
    expect(after.json.code).toBe('AIDA_USER_DEACTIVATED');
  });

  it('the generated JWT secret is kept in the data dir with mode 0600 (with the state on PostgreSQL, in the shared state instead)', async () => {
    const file = join(t.dataDir, 'state', 'jwt-secret');
    if (t.host.systemDb!.dialect === 'duckdb') {
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } else {
      expect(existsSync(file)).toBe(false);
      expect((await signingSecret()).length).toBeGreaterThanOrEqual(48);
    }
  });

  it('the session cookie works like the Bearer header, and is HttpOnly and SameSite=Lax', async () => {
    const res = await t.request('/auth/password/login/web', {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: ADMIN.email, password: ADMIN.password }).toString(),
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/dashboard');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/access_token=[^;]+/);
    expect(cookie).toMatch(/httponly/i);
    expect(cookie).toMatch(/samesite=lax/i);
    const me = await call(t, 'GET', '/auth/me', { headers: { cookie: cookie.split(';')[0] } });
    expect(me.json.email).toBe(ADMIN.email);
    const bad = await t.request('/auth/password/login/web', {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: ADMIN.email, password: 'wrong-wrong' }).toString(),
    });
    expect(bad.headers.get('location')).toBe('/login/password?error=invalid_credentials');
    expect(bad.headers.get('set-cookie')).toBeNull();
  });

  it('wrong passwords: 429 before the 11th attempt, and the right password is refused until the window passes', async () => {
    const email = 'target@example.com';
    await userWithSession(t, admin, email, 'analyst');
    await new Promise((r) => setTimeout(r, 3100)); // the helper's own sign-in counted; start a clean window
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await call(t, 'POST', '/auth/token', { body: { email, password: `wrong-${i}-xxxx` } })).status);
    expect(statuses).toEqual(Array(10).fill(401));
    const limited = await call(t, 'POST', '/auth/token', { body: { email, password: 'user-password-1' } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 3100));
    expect((await call(t, 'POST', '/auth/token', { body: { email, password: 'user-password-1' } })).status).toBe(200);
  });
});

describe('bootstrap races', () => {
  it('two bootstraps at the same moment create exactly one admin', async () => {
    const fresh = await startTestHost();
    try {
      const tries = await Promise.all(
        ['a', 'b', 'c'].map((n) => call(fresh, 'POST', '/auth/bootstrap', { body: { email: `${n}@example.com`, password: 'long-password-1' } })),
      );
      expect(tries.map((r) => r.status).sort()).toEqual([201, 403, 403]);
    } finally {
      await fresh.stop();
    }
  });
});
