import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { bootstrap, call, userWithSession } from '../identity/helpers.js';
import { browserSession, csrfOf, getPage, postForm, submitForm } from './forms.js';

let t: TestHost;
let admin: string;
let cookie: string;
let owner: { id: string; token: string };

beforeAll(async () => {
  t = await startTestHost();
  admin = await bootstrap(t);
  ({ cookie } = await browserSession(t));
  owner = await userWithSession(t, admin, 'owner@example.com', 'analyst');
});
afterAll(() => t?.stop());

async function mint(token: string, name: string) {
  const created = await call(t, 'POST', '/auth/tokens', { token, body: { name } });
  expect(created.status).toBe(201);
  return created.json as { id: string; prefix: string; token: string; expires_at: string };
}

const rowOf = (page: string, id: string) => new RegExp(`<tr data-token-id="${id}">[\\s\\S]*?</tr>`).exec(page)?.[0];

describe('/admin/tokens', () => {
  it("lists someone's token with owner, name, prefix and times; revoking it makes it fail on /auth/me", async () => {
    const pat = await mint(owner.token, 'laptop');
    expect((await call(t, 'GET', '/auth/me', { token: pat.token })).status).toBe(200);
    const page = await getPage(t, '/admin/tokens', cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('aria-current="page">Tokens</a>');
    const row = rowOf(page.text, pat.id)!;
    expect(row).toContain('<td>owner@example.com</td>');
    expect(row).toContain('<td>laptop</td>');
    expect(row).toContain(`<code>${pat.prefix}</code>`);
    expect(row).toContain('data-status>active</span>');
    // Created, last used (just now, by /auth/me) and expires in 90 days: three times.
    expect(row.match(/<time datetime=/g)).toHaveLength(3);
    expect(row).toContain(`<time datetime="${new Date(pat.expires_at).toISOString()}"`);
    expect(page.text).not.toContain(pat.token);

    const res = await postForm(t, `/admin/tokens/${pat.id}/revoke`, cookie, { _csrf: csrfOf(page.text) });
    expect(res.status).toBe(303);
    const me = await call(t, 'GET', '/auth/me', { token: pat.token });
    expect(me.status).toBe(401);
    expect(me.json.code).toBe('AIDA_TOKEN_REVOKED');
    const after = await getPage(t, res.headers.get('location')!, cookie);
    expect(after.text).toContain(`<p class="notice" role="status">Token ${pat.prefix} of owner@example.com revoked: it no longer works.</p>`);
    const revokedRow = rowOf(after.text, pat.id)!;
    expect(revokedRow).toContain('data-status>revoked</span>');
    expect(revokedRow).not.toContain('/revoke');
    // The JSON API says the same.
    const listed = await call(t, 'GET', '/auth/admin/tokens', { token: admin });
    expect(listed.json.tokens.find((x: { id: string }) => x.id === pat.id).status).toBe('revoked');
  });

  it('pages a long list with the pager', async () => {
    for (let i = 0; i < 3; i++) await mint(owner.token, `batch ${i}`);
    const first = await getPage(t, '/admin/tokens?limit=2', cookie);
    expect(first.text.match(/<tr data-token-id=/g)).toHaveLength(2);
    expect(first.text).toContain('rel="next" href="/admin/tokens?offset=2&amp;limit=2"');
    const second = await getPage(t, '/admin/tokens?offset=2&limit=2', cookie);
    expect(second.text).toContain('rel="prev"');
    expect(second.text.match(/<tr data-token-id=/g)).toHaveLength(2);
    expect((await getPage(t, '/admin/tokens?limit=0', cookie)).status).toBe(400);
  });

  it('404s for an unknown token', async () => {
    const res = await submitForm(t, '/admin/tokens', '/admin/tokens/no-such-token/revoke', cookie);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('gives a non-admin the HTML 403 page and refuses their revoke', async () => {
    const pat = await mint(admin, 'admin laptop');
    const { cookie: analyst } = await browserSession(t, { email: 'owner@example.com', password: 'user-password-1' });
    const page = await getPage(t, '/admin/tokens', analyst);
    expect(page.status).toBe(403);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('Not allowed');
    const csrf = csrfOf((await getPage(t, '/dashboard', analyst)).text);
    expect((await postForm(t, `/admin/tokens/${pat.id}/revoke`, analyst, { _csrf: csrf })).status).toBe(403);
    expect((await call(t, 'GET', '/auth/me', { token: pat.token })).status).toBe(200);
  });

  it('refuses a revoke without the CSRF token: 403 and the token still works', async () => {
    const pat = await mint(owner.token, 'kept');
    const res = await postForm(t, `/admin/tokens/${pat.id}/revoke`, cookie, {});
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('security token');
    expect((await call(t, 'GET', '/auth/me', { token: pat.token })).status).toBe(200);
  });
});
