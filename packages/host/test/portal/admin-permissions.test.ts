import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost } from '@aida/host/testing';
import { call, userWithSession } from '../identity/helpers.js';
import { dataHost } from '../data/fixtures.js';
import { browserSession, getPage, postForm, submitForm } from './forms.js';

let t: TestHost;
let admin: string;
let cookie: string;
let analyst: { id: string; token: string; cookie: string };
let other: { id: string; token: string };

beforeAll(async () => {
  ({ t, admin } = await dataHost());
  const a = await userWithSession(t, admin, 'analyst@example.com', 'analyst');
  analyst = { ...a, cookie: (await browserSession(t, { email: 'analyst@example.com', password: 'user-password-1' })).cookie };
  other = await userWithSession(t, admin, 'other@example.com', 'viewer');
  ({ cookie } = await browserSession(t));
  // hr is private: only admins and grantees may read salaries.
  expect((await call(t, 'PUT', '/api/admin/registry/salaries', { token: admin, body: { is_public: false } })).status).toBe(200);
});
afterAll(() => t?.stop());

const catalogIds = async (token: string) => (await call(t, 'GET', '/api/catalog/tables', { token })).json.tables.map((x: { id: string }) => x.id) as string[];
const grantsOf = async (userId: string) =>
  (await call(t, 'GET', `/api/admin/permissions?user_id=${userId}`, { token: admin })).json.permissions as { dataset: string }[];
const grant = (user_id: string, grant: string) => submitForm(t, '/admin/permissions', '/admin/permissions', cookie, { user_id, grant });
const remove = (user_id: string, grant: string) => submitForm(t, '/admin/permissions', '/admin/permissions/remove', cookie, { user_id, grant });

describe('/admin/permissions', () => {
  it('offers every user by email and the registered tables and buckets to grant', async () => {
    const page = await getPage(t, '/admin/permissions', cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('aria-current="page">Permissions</a>');
    expect(page.text).toContain(`<option value="${analyst.id}">analyst@example.com (analyst)</option>`);
    for (const d of ['orders', 'customers', 'salaries', 'shop.*', 'hr.*']) expect(page.text).toContain(`<option value="${d}"></option>`);
    expect(page.text).toContain('list="datasets"');
    expect(page.text).toContain('No user has a grant yet.');
  });

  it('granting salaries on the page lets the analyst read it; removing the grant takes it away', async () => {
    expect(await catalogIds(analyst.token)).not.toContain('salaries');
    const res = await grant(analyst.id, 'salaries');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/permissions?notice=granted');
    expect(await catalogIds(analyst.token)).toContain('salaries');
    expect((await grantsOf(analyst.id)).map((g) => g.dataset)).toEqual(['salaries']);
    const page = await getPage(t, '/admin/permissions?notice=granted', cookie);
    expect(page.text).toContain('<p class="notice" role="status">Granted.</p>');
    const row = /<tr data-grant="analyst@example.com salaries">([\s\S]*?)<\/tr>/.exec(page.text)![1]!;
    expect(row).toContain('<code>salaries</code>');
    expect(row).toContain('<time datetime=');
    expect(row).toContain('<td>root@example.com</td>');
    expect(row).not.toContain('not a registered table');

    const removed = await remove(analyst.id, 'salaries');
    expect(removed.status).toBe(303);
    expect(removed.headers.get('location')).toBe('/admin/permissions?notice=removed');
    expect(await catalogIds(analyst.token)).not.toContain('salaries');
    expect(await grantsOf(analyst.id)).toEqual([]);
    expect((await getPage(t, '/admin/permissions?notice=removed', cookie)).text).toContain('Grant removed.');
    // Removing it again: the JSON route's 404, as a page.
    const again = await remove(analyst.id, 'salaries');
    expect(again.status).toBe(404);
    expect(await again.text()).toContain('No grant of salaries to that user');
  });

  it('a bucket grant gives every table of the bucket; a grant the registry does not know is flagged', async () => {
    expect((await grant(analyst.id, 'hr.*')).status).toBe(303);
    expect(await catalogIds(analyst.token)).toContain('salaries');
    expect((await grant(other.id, 'nothing_here')).status).toBe(303);
    const page = await getPage(t, '/admin/permissions', cookie);
    expect(/<tr data-grant="other@example.com nothing_here">[\s\S]*?<\/tr>/.exec(page.text)![0]).toContain('not a registered table or bucket');
    expect(/<tr data-grant="analyst@example.com hr\.\*">[\s\S]*?<\/tr>/.exec(page.text)![0]).not.toContain('not a registered table or bucket');
  });

  it('?user= shows one user’s grants, by id or email; an unknown user is a 404 page', async () => {
    for (const user of [analyst.id, 'Analyst@Example.com']) {
      const page = await getPage(t, `/admin/permissions?user=${encodeURIComponent(user)}`, cookie);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Grants of analyst@example.com');
      expect(page.text).toContain('data-grant="analyst@example.com hr.*"');
      expect(page.text).not.toContain('data-grant="other@example.com');
    }
    const missing = await getPage(t, '/admin/permissions?user=ghost%40example.com', cookie);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('a grant that is not a table id or bucket.* is a 400 page and is not stored; an unknown user is a 404', async () => {
    const res = await grant(analyst.id, 'no spaces!');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('dataset must be a table id or');
    const missing = await grant('no-such-user', 'orders');
    expect(missing.status).toBe(404);
    expect((await grantsOf(analyst.id)).map((g) => g.dataset)).toEqual(['hr.*']);
  });

  it('answers a non-admin with the HTML 403 page and lets them change nothing', async () => {
    const page = await getPage(t, '/admin/permissions', analyst.cookie);
    expect(page.status).toBe(403);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('Not allowed');
    expect((await submitForm(t, '/dashboard', '/admin/permissions', analyst.cookie, { user_id: analyst.id, grant: 'salaries' })).status).toBe(403);
    expect((await submitForm(t, '/dashboard', '/admin/permissions/remove', analyst.cookie, { user_id: analyst.id, grant: 'hr.*' })).status).toBe(403);
    expect((await grantsOf(analyst.id)).map((g) => g.dataset)).toEqual(['hr.*']);
  });

  it('refuses a form without the CSRF token and changes nothing', async () => {
    const res = await postForm(t, '/admin/permissions', cookie, { user_id: other.id, grant: 'salaries' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('security token');
    expect((await postForm(t, '/admin/permissions/remove', cookie, { user_id: analyst.id, grant: 'hr.*' })).status).toBe(403);
    expect((await grantsOf(other.id)).map((g) => g.dataset)).toEqual(['nothing_here']);
    expect((await grantsOf(analyst.id)).map((g) => g.dataset)).toEqual(['hr.*']);
  });
});
