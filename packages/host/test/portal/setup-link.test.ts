import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { bootstrap, call } from '../identity/helpers.js';
import { getPage } from './forms.js';

let t: TestHost;
let admin: string;

beforeAll(async () => {
  t = await startTestHost();
  admin = await bootstrap(t);
});
afterAll(() => t?.stop());

/** Invites a user (no password yet) and returns the setup link's path and token. */
async function invite(email: string): Promise<{ path: string; token: string }> {
  const created = await call(t, 'POST', '/api/users', { token: admin, body: { email, role: 'viewer' } });
  expect(created.status).toBe(201);
  return { path: created.json.invite.setup_path, token: created.json.invite.token };
}

/** The setup page's form, posted as a browser does. */
function postSetupForm(fields: Record<string, string>) {
  return t.request('/auth/password/setup', {
    method: 'POST',
    redirect: 'manual',
    headers: { accept: 'text/html,application/xhtml+xml', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

/** A page that explains a bad link: in the layout, in words, no form, not JSON. */
function expectLinkPage(res: { status: number; headers: Headers }, text: string, status: number, heading: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/text\/html/);
  expect(text).toContain('<header class="site">');
  expect(text).toContain(`<h1>${heading}</h1>`);
  expect(text).toContain('Ask an admin for a new link.');
  expect(text).not.toContain('name="password"');
  expect(text).not.toContain('AIDA_SETUP_TOKEN_INVALID');
}

describe('the setup link page', () => {
  it('a good link shows the password form and is not used up by opening it', async () => {
    const link = await invite('fresh@example.com');
    for (let i = 0; i < 2; i++) {
      const page = await getPage(t, link.path);
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.text).toContain('<h1>Set your password</h1>');
      expect(page.text).toContain(`name="token" value="${link.token}"`);
      expect(page.text).toContain('value="fresh@example.com"');
    }
    const set = await postSetupForm({ email: 'fresh@example.com', token: link.token, password: 'a-good-password' });
    expect(set.status).toBe(302);
    expect(set.headers.get('location')).toBe('/dashboard');
    expect(set.headers.get('set-cookie')).toContain('access_token=');
  });

  it('a used link shows the "already used" page (410), on opening and on posting the form again', async () => {
    const link = await invite('used@example.com');
    expect((await postSetupForm({ email: 'used@example.com', token: link.token, password: 'first-password' })).status).toBe(302);
    const page = await getPage(t, link.path);
    expectLinkPage(page, page.text, 410, 'This setup link was already used');
    expect(page.text).toContain('href="/login"');
    const again = await postSetupForm({ email: 'used@example.com', token: link.token, password: 'second-password' });
    expectLinkPage(again, await again.text(), 410, 'This setup link was already used');
    // The first password still holds.
    expect((await call(t, 'POST', '/auth/token', { body: { email: 'used@example.com', password: 'first-password' } })).status).toBe(200);
    expect((await call(t, 'POST', '/auth/token', { body: { email: 'used@example.com', password: 'second-password' } })).status).toBe(401);
  });

  it('an expired link shows the "expired" page (410)', async () => {
    await invite('late@example.com');
    const id = t.host.identity!;
    // The store's own issue path, with a lifetime already over.
    const expired = await id.setupLink(id.users.byEmail('late@example.com')!, -60_000);
    const page = await getPage(t, expired.setup_path);
    expectLinkPage(page, page.text, 410, 'This setup link has expired');
    const post = await postSetupForm({ email: 'late@example.com', token: expired.token, password: 'a-good-password' });
    expectLinkPage(post, await post.text(), 410, 'This setup link has expired');
  });

  it('an unknown, mangled, replaced or incomplete link shows the "not valid" page (404)', async () => {
    const old = await invite('replaced@example.com');
    const id = t.host.identity!;
    await id.setupLink(id.users.byEmail('replaced@example.com')!, 60_000);
    for (const path of [
      old.path,
      `/login/setup?email=replaced%40example.com&token=${old.token.slice(0, -2)}xx`,
      `/login/setup?email=nobody%40example.com&token=${old.token}`,
      '/login/setup?email=not-an-email&token=abc',
      '/login/setup',
    ]) {
      const page = await getPage(t, path);
      expectLinkPage(page, page.text, 404, 'This setup link is not valid');
    }
    const post = await postSetupForm({ email: 'replaced@example.com', token: old.token, password: 'a-good-password' });
    expectLinkPage(post, await post.text(), 404, 'This setup link is not valid');
  });

  it('JSON clients keep the JSON answers of POST /auth/password/setup', async () => {
    const link = await invite('json@example.com');
    const ok = await call(t, 'POST', '/auth/password/setup', { body: { email: 'json@example.com', token: link.token, password: 'long-enough-1' } });
    expect(ok.status).toBe(200);
    expect(ok.json.access_token).toBeTruthy();
    const again = await call(t, 'POST', '/auth/password/setup', { body: { email: 'json@example.com', token: link.token, password: 'long-enough-2' } });
    expect(again.status).toBe(400);
    expect(again.json.code).toBe('AIDA_SETUP_TOKEN_INVALID');
    // A form post from a script that does not ask for HTML gets JSON too.
    const script = await t.request('/auth/password/setup', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'json@example.com', token: link.token, password: 'long-enough-3' }).toString(),
    });
    expect(script.status).toBe(400);
    expect((await script.json()).code).toBe('AIDA_SETUP_TOKEN_INVALID');
  });
});
