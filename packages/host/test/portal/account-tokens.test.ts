import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { bootstrap, call, userWithSession } from '../identity/helpers.js';
import { browserSession, csrfOf, getPage, postForm, submitForm } from './forms.js';

let t: TestHost;
let admin: string;
let viewerCookie: string;
let viewerSession: string;
const DAY = 86_400_000;

beforeAll(async () => {
  t = await startTestHost();
  admin = await bootstrap(t);
  viewerSession = (await userWithSession(t, admin, 'viewer@example.com', 'viewer')).token;
  viewerCookie = (await browserSession(t, { email: 'viewer@example.com', password: 'user-password-1' })).cookie;
});
afterAll(() => t?.stop());

type Pat = { id: string; name: string; prefix: string; expires_at: string | null; status: string };
const myTokens = async (token = viewerSession) => (await call(t, 'GET', '/auth/tokens', { token })).json.tokens as Pat[];
const create = (fields: Record<string, string>) => submitForm(t, '/account/tokens', '/account/tokens', viewerCookie, fields);
const tokenOf = (page: string) => /data-token>([^<]+)</.exec(page)![1]!;
const rowOf = (page: string, id: string) => new RegExp(`<tr data-token-id="${id}">([\\s\\S]*?)</tr>`).exec(page)?.[1];

describe('/account/tokens', () => {
  it('shows an empty list and the create form with the API’s expiries', async () => {
    const page = await getPage(t, '/account/tokens', viewerCookie);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('<h1>Your tokens</h1>');
    expect(page.text).toContain('You have no personal access tokens.');
    expect(page.text).toContain('action="/account/tokens"');
    const options = [...page.text.matchAll(/<option value="([^"]+)"/g)].map((m) => m[1]);
    expect(options).toEqual(['30', '90', '365', 'never']);
    expect(page.text).toMatch(/<option value="90" selected>90 days</);
  });

  it('without the CSRF token creating is refused (403) and no token is made', async () => {
    const res = await postForm(t, '/account/tokens', viewerCookie, { name: 'sneaky', expires_in_days: '30' });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await myTokens()).toEqual([]);
  });

  it('creates a token shown once (201, no-store) that works on GET /auth/me, and lists it', async () => {
    const res = await create({ name: 'laptop', expires_in_days: '30' });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = await res.text();
    expect(page).toContain('shown only this once');
    expect(page).toContain(`da login --server ${t.url} --token-stdin`);
    expect(page).toContain('data-copy="#new-token"');
    const token = tokenOf(page);
    const me = await call(t, 'GET', '/auth/me', { token });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ email: 'viewer@example.com', token_type: 'pat' });
    const [pat] = await myTokens();
    expect(pat).toMatchObject({ name: 'laptop', status: 'active' });
    expect(Math.abs(new Date(pat!.expires_at!).getTime() - Date.now() - 30 * DAY)).toBeLessThan(60_000);
    const list = await getPage(t, '/account/tokens', viewerCookie);
    expect(list.headers.get('cache-control')).not.toBe('no-store');
    expect(list.text).not.toContain(token);
    const row = rowOf(list.text, pat!.id)!;
    expect(row).toContain('<td>laptop</td>');
    expect(row).toContain(`<code>${pat!.prefix}</code>`);
    expect(row).toMatch(/data-status="active">active</);
    // Expires in 30 days ("in 4 weeks", the exact time on hover); used just now on /auth/me.
    expect(row).toContain(`<time datetime="${new Date(pat!.expires_at!).toISOString()}"`);
    expect(row).toMatch(/>in 4 weeks</);
    expect(row.match(/>just now</g)).toHaveLength(2);
    expect(row).toContain(`action="/account/tokens/${pat!.id}/revoke"`);
    expect(row).toContain('data-confirm=');
  });

  it('a token that never expires says "never"; an expiry the form does not offer is a 400', async () => {
    expect((await create({ name: 'ci', expires_in_days: 'never' })).status).toBe(201);
    const pat = (await myTokens()).find((p) => p.name === 'ci')!;
    expect(pat.expires_at).toBeNull();
    const row = rowOf((await getPage(t, '/account/tokens', viewerCookie)).text, pat.id)!;
    // Created just now; last used and expires both "never".
    expect(row.match(/<span class="muted">never<\/span>/g)).toHaveLength(2);
    expect((await create({ name: 'odd', expires_in_days: '7' })).status).toBe(400);
    expect((await create({ name: '', expires_in_days: '30' })).status).toBe(400);
    expect((await myTokens()).map((p) => p.name)).not.toContain('odd');
  });

  it('revoking turns the token off: GET /auth/me then fails, and the page says revoked', async () => {
    const res = await create({ name: 'to-revoke', expires_in_days: '90' });
    const token = tokenOf(await res.text());
    expect((await call(t, 'GET', '/auth/me', { token })).status).toBe(200);
    const pat = (await myTokens()).find((p) => p.name === 'to-revoke')!;
    const revoke = await submitForm(t, '/account/tokens', `/account/tokens/${pat.id}/revoke`, viewerCookie);
    expect(revoke.status).toBe(303);
    expect(revoke.headers.get('location')).toBe('/account/tokens?notice=revoked');
    const me = await call(t, 'GET', '/auth/me', { token });
    expect(me.status).toBe(401);
    expect((await myTokens()).find((p) => p.id === pat.id)).toMatchObject({ status: 'revoked' });
    const page = await getPage(t, '/account/tokens?notice=revoked', viewerCookie);
    expect(page.text).toContain('Token revoked');
    const row = rowOf(page.text, pat.id)!;
    expect(row).toMatch(/data-status="revoked">revoked</);
    expect(row).not.toContain('/revoke"');
  });

  it("another user's token cannot be revoked from here (404 page) and is not shown", async () => {
    const adminCookie = (await browserSession(t)).cookie;
    const made = await submitForm(t, '/account/tokens', '/account/tokens', adminCookie, { name: 'admin-own', expires_in_days: '30' });
    const adminToken = tokenOf(await made.text());
    const pat = (await myTokens(admin)).find((p) => p.name === 'admin-own')!;
    expect((await getPage(t, '/account/tokens', viewerCookie)).text).not.toContain('admin-own');
    const res = await submitForm(t, '/account/tokens', `/account/tokens/${pat.id}/revoke`, viewerCookie);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect((await call(t, 'GET', '/auth/me', { token: adminToken })).status).toBe(200);
  });

  it('a personal access token sees its list but no create form, and cannot create (403)', async () => {
    const res = await create({ name: 'for-pat', expires_in_days: '30' });
    const pat = tokenOf(await res.text());
    const page = await call(t, 'GET', '/account/tokens', { token: pat, headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('for-pat');
    expect(page.text).not.toContain('action="/account/tokens"');
    expect(page.text).toContain('sign in with your password to create tokens');
    const before = (await myTokens()).length;
    const post = await t.request('/account/tokens', {
      method: 'POST',
      headers: { authorization: `Bearer ${pat}`, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrfOf(await (await getPage(t, '/account/tokens', viewerCookie)).text), name: 'x' }).toString(),
    });
    expect(post.status).toBe(403);
    expect((await myTokens()).length).toBe(before);
    // The JSON route gives a PAT the same refusal.
    expect((await call(t, 'POST', '/auth/tokens', { token: pat, body: { name: 'x' } })).json.code).toBe('AIDA_PAT_CANNOT_MINT');
  });
});
