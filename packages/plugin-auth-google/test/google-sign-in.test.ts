import { startTestHost, type TestHost } from '@aida/host/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { Browser, loginError, signInWithGoogle } from './browser.js';
import { PUBLIC_ORIGIN, startFakeGoogle, type FakeGoogle } from './fake-google.js';

const ADMIN = { email: 'admin@example.com', name: 'Admin', password: 'admin-password-1' };

async function me(t: TestHost, accessToken: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await t.request('/auth/me', { headers: { cookie: `access_token=${accessToken}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('Google sign-in against a local OpenID Connect server', () => {
  let fake: FakeGoogle;
  let t: TestHost;
  let admin: string;

  const usersText = async () => (await t.request('/api/users', { headers: { authorization: `Bearer ${admin}` } })).text();

  beforeAll(async () => {
    fake = await startFakeGoogle();
    t = await startTestHost({ plugins: [{ plugin, config: fake.config({ allowed_domains: ['example.com', 'Partner.EXAMPLE.org'] }) }] });
    const boot = await t.request('/auth/bootstrap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    expect(boot.status).toBe(201);
    admin = String(((await boot.json()) as { access_token: string }).access_token);
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });
  afterEach(() => {
    fake.failures = {};
    fake.identity = { email: 'someone@example.com' };
  });

  it('login redirects to the provider with state, nonce, PKCE and the openid email profile scopes', async () => {
    const browser = new Browser().resolve(PUBLIC_ORIGIN, t.url);
    const res = await browser.get(`${PUBLIC_ORIGIN}/auth/google/login`);
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location')!);
    expect(`${to.origin}${to.pathname}`).toBe(`${fake.url}/authorize`);
    const q = to.searchParams;
    expect(q.get('client_id')).toBe(fake.clientId);
    expect(q.get('response_type')).toBe('code');
    expect(q.get('redirect_uri')).toBe(`${PUBLIC_ORIGIN}/auth/google/callback`);
    expect(q.get('scope')).toBe('openid email profile');
    expect(q.get('state')).toMatch(/^[0-9a-f]{40}$/);
    expect(q.get('nonce')).toMatch(/^[0-9a-f]{40}$/);
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toBeTruthy();

    // The pending sign-in lives in a sealed, HttpOnly, Lax cookie limited to the plugin's path.
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('aida_google_oauth='))!;
    expect(cookie).toMatch(/; path=\/auth\/google/i);
    expect(cookie).toMatch(/; httponly/i);
    expect(cookie).toMatch(/; samesite=lax/i);
    const value = decodeURIComponent(cookie.split(';')[0].split('=')[1]);
    expect(Buffer.from(value, 'base64url').toString('latin1')).not.toContain(q.get('state')!);
    expect(res.headers.getSetCookie().some((c) => c.startsWith('access_token='))).toBe(false);
  });

  it('an allowed domain signs in: access_token cookie, 302 to /dashboard, a new user created as analyst', async () => {
    fake.identity = { email: 'Grace.Hopper@Example.com', name: 'Grace Hopper' };
    const flow = await signInWithGoogle(t);
    expect(flow.callback!.status).toBe(302);
    expect(flow.callback!.headers.get('location')).toBe('/dashboard');
    expect(flow.accessToken).toBeTruthy();
    expect(flow.browser.cookie('aida_google_oauth'), 'the pending sign-in is consumed').toBeUndefined();

    const who = await me(t, flow.accessToken!);
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ email: 'grace.hopper@example.com', role: 'analyst' });
  });

  it('domains in allowed_domains match case-insensitively', async () => {
    fake.identity = { email: 'alan@partner.example.org' };
    const flow = await signInWithGoogle(t);
    expect(flow.callback!.headers.get('location')).toBe('/dashboard');
    expect((await me(t, flow.accessToken!)).body).toMatchObject({ email: 'alan@partner.example.org', role: 'analyst' });
  });

  it('a known user keeps their role and id when signing in again', async () => {
    fake.identity = { email: 'repeat@example.com' };
    const first = await signInWithGoogle(t);
    const second = await signInWithGoogle(t);
    expect((await me(t, first.accessToken!)).body.id).toBe((await me(t, second.accessToken!)).body.id);
  });

  it('a tampered state is refused: 302 to /login?error=state_mismatch and no session', async () => {
    fake.identity = { email: 'mallory-victim@example.com' };
    const flow = await signInWithGoogle(t, { tamper: (u) => u.searchParams.set('state', 'f'.repeat(40)) });
    expect(flow.callback!.status).toBe(302);
    expect(loginError(flow.callback)).toBe('state_mismatch');
    expect(flow.accessToken).toBeUndefined();
    expect(flow.callback!.headers.getSetCookie().join('\n')).not.toMatch(/access_token=[^;]+/);
    expect(await usersText()).not.toContain('mallory-victim@example.com');
  });

  it('a missing state is refused', async () => {
    const flow = await signInWithGoogle(t, { tamper: (u) => u.searchParams.delete('state') });
    expect(loginError(flow.callback)).toBe('state_mismatch');
    expect(flow.accessToken).toBeUndefined();
  });

  it('a callback without the pending sign-in cookie (another browser, expired) is refused', async () => {
    const flow = await signInWithGoogle(t, { dropCookies: true });
    expect(loginError(flow.callback)).toBe('session_expired');
    expect(flow.accessToken).toBeUndefined();
  });

  it('a disallowed domain gets 302 to /login?error=domain_not_allowed and no account', async () => {
    fake.identity = { email: 'eve@gmail.com', name: 'Eve' };
    const flow = await signInWithGoogle(t);
    expect(flow.callback!.status).toBe(302);
    expect(flow.callback!.headers.get('location')).toBe('/login?error=domain_not_allowed');
    expect(flow.accessToken).toBeUndefined();
    expect(await usersText()).not.toContain('eve@gmail.com');
  });

  it('a subdomain of an allowed domain is not allowed', async () => {
    fake.identity = { email: 'sub@evil.example.com' };
    expect(loginError((await signInWithGoogle(t)).callback)).toBe('domain_not_allowed');
  });

  it('an id_token signed by another key is refused', async () => {
    fake.identity = { email: 'forged@example.com' };
    fake.failures = { signWithForeignKey: true };
    const flow = await signInWithGoogle(t);
    expect(flow.callback!.status).toBe(302);
    expect(loginError(flow.callback)).toBe('invalid_id_token');
    expect(flow.accessToken).toBeUndefined();
    expect(await usersText()).not.toContain('forged@example.com');
  });

  it('the provider answering 500 on /token sends the user back to /login with an error', async () => {
    fake.failures = { tokenStatus: 500 };
    const flow = await signInWithGoogle(t);
    expect(flow.callback!.status).toBe(302);
    expect(loginError(flow.callback)).toBe('token_exchange_failed');
    expect(flow.accessToken).toBeUndefined();
  });

  it('an id_token with another nonce is refused', async () => {
    fake.failures = { nonce: 'a'.repeat(40) };
    expect(loginError((await signInWithGoogle(t)).callback)).toBe('nonce_mismatch');
  });

  it('an id_token from another issuer is refused', async () => {
    fake.failures = { issuer: 'https://accounts.evil.example' };
    expect(loginError((await signInWithGoogle(t)).callback)).toBe('invalid_id_token');
  });

  it('an id_token for another client is refused', async () => {
    fake.failures = { audience: 'someone-else.apps.googleusercontent.com' };
    expect(loginError((await signInWithGoogle(t)).callback)).toBe('invalid_id_token');
  });

  it('an expired id_token is refused', async () => {
    fake.failures = { expiresIn: -600 };
    expect(loginError((await signInWithGoogle(t)).callback)).toBe('id_token_expired');
  });

  it('an unverified email is refused', async () => {
    fake.identity = { email: 'unverified@example.com', email_verified: false };
    const flow = await signInWithGoogle(t);
    expect(loginError(flow.callback)).toBe('email_not_verified');
    expect(await usersText()).not.toContain('unverified@example.com');
  });

  it('an email the provider gives only through userinfo is used', async () => {
    fake.identity = { email: 'userinfo-only@example.com', emailOnlyInUserinfo: true };
    const flow = await signInWithGoogle(t);
    expect(flow.callback!.headers.get('location')).toBe('/dashboard');
    expect((await me(t, flow.accessToken!)).body).toMatchObject({ email: 'userinfo-only@example.com', role: 'analyst' });
  });

  it('a user who declines consent is sent back with error=access_denied', async () => {
    fake.failures = { authorizeError: 'access_denied' };
    expect(loginError((await signInWithGoogle(t)).callback)).toBe('access_denied');
  });

  it('replaying a callback with the old cookie fails: the code is single use', async () => {
    fake.identity = { email: 'replay@example.com' };
    const browser = new Browser().resolve(PUBLIC_ORIGIN, t.url);
    const login = await browser.get(`${PUBLIC_ORIGIN}/auth/google/login`);
    const callbackUrl = (await browser.get(login.headers.get('location')!)).headers.get('location')!;
    const saved = browser.cookies.map((c) => ({ ...c }));
    expect((await browser.get(callbackUrl)).headers.get('location')).toBe('/dashboard');

    const attacker = new Browser().resolve(PUBLIC_ORIGIN, t.url);
    attacker.cookies.push(...saved);
    const again = await attacker.get(callbackUrl);
    expect(loginError(again)).toBe('token_exchange_failed');
    expect(attacker.cookie('access_token')).toBeUndefined();
  });

  it('the provider signing keys are fetched once and cached', async () => {
    expect(fake.hits['/jwks']).toBe(1);
  });

  it('a deactivated user is sent back with error=account_disabled', async () => {
    fake.identity = { email: 'leaver@example.com' };
    const first = await signInWithGoogle(t);
    const id = String((await me(t, first.accessToken!)).body.id);
    const off = await t.request(`/api/users/${id}/deactivate`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    expect(off.status).toBeLessThan(300);
    const again = await signInWithGoogle(t);
    expect(loginError(again.callback)).toBe('account_disabled');
    expect(again.accessToken).toBeUndefined();
  });
});

describe('Google sign-in rate limit', () => {
  let fake: FakeGoogle;
  let t: TestHost;
  beforeAll(async () => {
    fake = await startFakeGoogle();
    t = await startTestHost({ plugins: [{ plugin, config: fake.config() }] });
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  it('the login route is limited per IP (429 with Retry-After once over the limit)', async () => {
    const browser = new Browser().resolve(PUBLIC_ORIGIN, t.url);
    let limited: Response | undefined;
    for (let i = 0; i < 200 && !limited; i++) {
      const res = await browser.get(`${PUBLIC_ORIGIN}/auth/google/login`);
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(302);
    }
    expect(limited, 'no 429 after 200 logins').toBeDefined();
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited!.headers.get('location')).toBeNull();
  });
});
