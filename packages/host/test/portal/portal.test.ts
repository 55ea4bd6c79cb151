import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost } from '@aida/host/testing';
import { ADMIN, call, userWithSession } from '../identity/helpers.js';
import { dataHost } from '../data/fixtures.js';
import { browserSession as signIn, csrfOf, postForm as post } from './forms.js';

const browserSession = (next?: string) => signIn(t, ADMIN, next);
const postForm = (path: string, cookie: string, fields: Record<string, string>) => post(t, path, cookie, fields);

let t: TestHost;
let admin: string;
let folders: Record<string, string>;
let viewer: { id: string; token: string };
const html = { accept: 'text/html' };

beforeAll(async () => {
  ({ t, admin, folders } = await dataHost());
  viewer = await userWithSession(t, admin, 'viewer@example.com', 'viewer');
  expect((await call(t, 'PUT', '/api/admin/registry/salaries', { token: admin, body: { is_public: false } })).status).toBe(200);
});
afterAll(() => t?.stop());

describe('the dashboard', () => {
  it('/ sends a signed-in user to the dashboard and anyone else to sign in', async () => {
    expect((await call(t, 'GET', '/', { token: viewer.token, headers: html })).headers.get('location')).toBe('/dashboard');
    expect((await call(t, 'GET', '/', { headers: html })).headers.get('location')).toBe('/login');
    expect((await call(t, 'GET', '/dashboard', { headers: html })).headers.get('location')).toBe('/login?next=%2Fdashboard');
  });

  it("shows a viewer their role, the tables they may read, their sources' freshness and how to start with da", async () => {
    const page = await call(t, 'GET', '/dashboard', { token: viewer.token, headers: html });
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/data-role>viewer</);
    expect(page.text).toMatch(/data-table-count>2</);
    expect(page.text).not.toContain('salaries');
    // Freshness names shop, whose tables the viewer reads, not hr, which holds only the private one.
    expect(page.text).toContain('<code>shop</code>');
    expect(page.text).not.toContain('<code>hr</code>');
    expect(page.text).toContain('npm install -g @aida/cli');
    expect(page.text).toContain(`da login --server ${t.url}`);
    // Admin-only parts stay hidden.
    expect(page.text).not.toContain('href="/admin"');
    expect(page.text).toContain('href="/account/tokens"');
    expect(page.text).toContain('action="/auth/logout"');
  });

  it('shows an admin every table, every source and the Admin entry', async () => {
    const page = await call(t, 'GET', '/dashboard', { token: admin, headers: html });
    expect(page.text).toMatch(/data-role>admin</);
    expect(page.text).toMatch(/data-table-count>3</);
    expect(page.text).toContain('salaries');
    expect(page.text).toContain('<code>hr</code>');
    expect(page.text).toContain('href="/admin"');
  });
});

describe('a token minted from the dashboard', () => {
  it('is shown once and works on GET /auth/me and the data API', async () => {
    const { cookie } = await browserSession();
    const dashboard = await t.request('/dashboard', { headers: { cookie, accept: 'text/html' } });
    const res = await postForm('/dashboard/tokens', cookie, { _csrf: csrfOf(await dashboard.text()), name: 'laptop' });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = await res.text();
    expect(page).toContain('--token-stdin');
    const token = /data-token>([^<]+)</.exec(page)![1]!;
    const me = await call(t, 'GET', '/auth/me', { token });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ email: ADMIN.email, token_type: 'pat' });
    expect((await call(t, 'GET', '/api/catalog/tables', { token })).status).toBe(200);
  });

  it('is refused without the CSRF token, with a wrong one, or with another session’s one: 403 as an HTML page', async () => {
    const a = await browserSession();
    const b = await browserSession();
    const other = csrfOf(await (await t.request('/dashboard', { headers: { cookie: b.cookie, accept: 'text/html' } })).text());
    for (const fields of [{}, { _csrf: 'nope' }, { _csrf: other }]) {
      const res = await postForm('/dashboard/tokens', a.cookie, fields);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(await res.text()).toContain('security token');
    }
    const tokens = await call(t, 'GET', '/auth/tokens', { headers: { cookie: a.cookie } });
    expect(tokens.json.tokens.map((p: { name: string }) => p.name)).not.toContain('da CLI (portal)');
  });
});

describe('what needs attention', () => {
  it('shows an admin a failed sync with its reason, and a viewer nothing of it', async () => {
    // The hr folder disappears: its next sync fails and keeps the previous extract.
    const { rm } = await import('node:fs/promises');
    await rm(folders.hr, { recursive: true });
    expect((await t.host.syncSource('hr')).error).toBeTruthy();
    const page = await call(t, 'GET', '/dashboard', { token: admin, headers: html });
    expect(page.text).toContain('Needs attention');
    expect(page.text).toMatch(/sync failed<\/span> <a href="\/catalog\/salaries"><code>salaries<\/code><\/a> \(hr\)/);
    const mine = await call(t, 'GET', '/dashboard', { token: viewer.token, headers: html });
    expect(mine.text).not.toContain('Needs attention');
  });
});

describe('page security', () => {
  it('pages carry the CSP and the other security headers; the stylesheet is same-origin and long-cached', async () => {
    for (const path of ['/login', '/dashboard', '/no-such-page']) {
      const res = await call(t, 'GET', path, { token: viewer.token, headers: html });
      expect(res.headers.get('content-security-policy'), path).toBe(
        "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
      );
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
      // No inline script or style for the CSP to have to allow.
      expect(res.text).not.toMatch(/<script(?![^>]*\ssrc=)|<style|style="/);
    }
    const login = await call(t, 'GET', '/login', { headers: html });
    const href = /<link rel="stylesheet" href="([^"]+)"/.exec(login.text)![1]!;
    expect(href).toMatch(/^\/assets\/portal\.css\?v=[0-9a-f]+$/);
    const css = await t.request(href);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/text\/css/);
    expect(css.headers.get('cache-control')).toContain('max-age=31536000');
    expect(await css.text()).toContain('overflow-x: auto');
  });

  it('after sign-in follows next= only to a path on this host', async () => {
    expect((await browserSession('/dashboard?x=1')).location).toBe('/dashboard?x=1');
    for (const evil of ['//evil.example', 'https://evil.example', '/\\evil.example', 'javascript:alert(1)']) {
      expect((await browserSession(evil)).location, evil).toBe('/dashboard');
    }
    // The login page only carries a safe next into its form.
    expect((await call(t, 'GET', '/login?next=%2F%2Fevil.example', { headers: html })).text).not.toContain('evil.example');
    expect((await call(t, 'GET', '/login?next=%2Fdashboard', { headers: html })).text).toContain('name="next" value="/dashboard"');
  });

  it('a browser gets an HTML 404 page in the layout; /api and /auth stay JSON', async () => {
    const page = await call(t, 'GET', '/no-such-page', { token: viewer.token, headers: html });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('Page not found');
    expect(page.text).toContain('viewer@example.com');
    const api = await call(t, 'GET', '/api/no-such-route', { token: viewer.token, headers: html });
    expect(api.status).toBe(404);
    expect(api.json.code).toBe('AIDA_NOT_FOUND');
    const auth = await call(t, 'GET', '/auth/no-such-route', { token: viewer.token, headers: html });
    expect(auth.json.code).toBe('AIDA_NOT_FOUND');
    // A client that does not prefer HTML keeps JSON on pages too.
    expect((await call(t, 'GET', '/no-such-page', { token: viewer.token })).json.code).toBe('AIDA_NOT_FOUND');
  });
});
