import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost } from '@aida/host/testing';
import { call, userWithSession } from '../identity/helpers.js';
import { dataHost } from '../data/fixtures.js';
import { browserSession, getPage, postForm, submitForm } from './forms.js';

let t: TestHost;
let admin: string;
let folders: Record<string, string>;
let cookie: string;
let viewer: { id: string; token: string; cookie: string };

beforeAll(async () => {
  ({ t, admin, folders } = await dataHost());
  const v = await userWithSession(t, admin, 'viewer@example.com', 'viewer');
  viewer = { ...v, cookie: (await browserSession(t, { email: 'viewer@example.com', password: 'user-password-1' })).cookie };
  ({ cookie } = await browserSession(t));
});
afterAll(() => t?.stop());

const registryEntry = async (id: string) =>
  (await call(t, 'GET', '/api/admin/registry?limit=1000', { token: admin })).json.tables.find((e: { id: string }) => e.id === id);
const catalogIds = async (token: string) => (await call(t, 'GET', '/api/catalog/tables', { token })).json.tables.map((x: { id: string }) => x.id) as string[];
const historyCount = async (table: string) =>
  (await call(t, 'GET', `/api/admin/sync-history?table=${table}&limit=1000`, { token: admin })).json.total as number;
const edit = (name: string, fields: Record<string, string>) => submitForm(t, `/admin/tables/${name}`, `/admin/tables/${name}`, cookie, fields);

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 40_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    if (await check()) return;
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('/admin/tables', () => {
  it('lists the registry with source, bucket, access, sync state and rows, the sources, and no discovered table when all are registered', async () => {
    const page = await getPage(t, '/admin/tables', cookie);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('aria-current="page">Tables</a>');
    const orders = /<tr data-table="orders">([\s\S]*?)<\/tr>/.exec(page.text)![1]!;
    expect(orders).toContain('<td>shop <span class="muted">(local)</span></td>');
    expect(orders).toContain('data-access>public<');
    expect(orders).toContain('<span class="badge ok">ok</span>');
    expect(orders).toMatch(/<td class="num">500<\/td>/);
    expect(orders).toContain('action="/admin/tables/orders/sync"');
    expect(page.text).toContain('<tr data-source="hr">');
    expect(page.text).toContain('action="/admin/tables/sources/shop/sync"');
    expect(page.text).toContain('Every table the connectors can see is registered.');
  });

  it('the edit page shows the current values and the accepted schedule forms; an unknown table is a 404 page', async () => {
    const page = await getPage(t, '/admin/tables/customers', cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('action="/admin/tables/customers"');
    expect(page.text).toMatch(/name="visibility" value="public" checked/);
    expect(page.text).toMatch(/name="profile_after_sync" checked/);
    expect(page.text).toContain('a human interval (15 minutes, 2 hours)');
    expect(page.text).toContain('<label for="sync_schedule">');
    const missing = await getPage(t, '/admin/tables/ghost', cookie);
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('No registered table &#39;ghost&#39;');
  });

  it('making orders private on the page hides it from a viewer; the description reaches the JSON registry', async () => {
    expect(await catalogIds(viewer.token)).toContain('orders');
    const res = await edit('orders', { description: '  Every order of the shop ', visibility: 'private', sync_schedule: '', profile_after_sync: 'on' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/tables?notice=saved');
    expect((await getPage(t, '/admin/tables?notice=saved', cookie)).text).toContain('<p class="notice" role="status">Saved.</p>');
    expect(await registryEntry('orders')).toMatchObject({
      description: 'Every order of the shop',
      is_public: false,
      sync_schedule: null,
      profile_after_sync: true,
    });
    expect(await catalogIds(viewer.token)).not.toContain('orders');
    expect(/<tr data-table="orders">[\s\S]*?<\/tr>/.exec((await getPage(t, '/admin/tables', cookie)).text)![0]).toContain('data-access>private<');
    expect((await edit('orders', { description: '', visibility: 'public', sync_schedule: '', profile_after_sync: 'on' })).status).toBe(303);
    expect(await registryEntry('orders')).toMatchObject({ description: null, is_public: true });
    expect(await catalogIds(viewer.token)).toContain('orders');
  });

  it('a bad schedule is a 400 page with a readable message, and nothing changes', async () => {
    const before = await registryEntry('customers');
    const res = await edit('customers', { description: 'changed', visibility: 'private', sync_schedule: 'every blue moon' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const text = await res.text();
    expect(text).toContain('invalid schedule &quot;every blue moon&quot;');
    expect(text).toContain('a human interval (15 minutes)');
    expect(await registryEntry('customers')).toEqual(before);
    // A visibility that is neither is refused too.
    expect((await edit('customers', { visibility: 'secret' })).status).toBe(400);
    expect(await registryEntry('customers')).toEqual(before);
  });

  it('sync now queues the same sync as the JSON trigger: new data is extracted, and the page says it is queued', async () => {
    await writeFile(join(folders.shop, 'customers.csv'), 'customer,name\nc1,Ada\nc2,Ben\nc3,Cleo\n');
    const runs = await historyCount('customers');
    const res = await submitForm(t, '/admin/tables', '/admin/tables/customers/sync', cookie);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/tables?notice=sync-queued');
    expect((await getPage(t, '/admin/tables?notice=sync-queued', cookie)).text).toContain('Sync queued');
    await waitFor('customers to be extracted again', async () => (await historyCount('customers')) > runs);
    await waitFor(
      'the new rows to be served',
      async () => (await call(t, 'GET', '/api/catalog/tables', { token: admin })).json.tables.find((x: { id: string }) => x.id === 'customers').rows === 3,
    );
  });

  it('sync now for a source extracts its tables; an unknown source or table is a 404 page', async () => {
    const runs = await historyCount('salaries');
    const res = await submitForm(t, '/admin/tables', '/admin/tables/sources/hr/sync', cookie);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/tables?notice=sync-queued');
    await waitFor('salaries to be extracted again', async () => (await historyCount('salaries')) > runs);
    const unknownSource = await submitForm(t, '/admin/tables', '/admin/tables/sources/nowhere/sync', cookie);
    expect(unknownSource.status).toBe(404);
    expect(await unknownSource.text()).toContain('No connector provides the source &#39;nowhere&#39;');
    expect((await submitForm(t, '/admin/tables', '/admin/tables/ghost/sync', cookie)).status).toBe(404);
  });

  it('lists a table a connector discovered but nobody registered, and registers it as the JSON route does', async () => {
    await writeFile(join(folders.shop, 'stock.csv'), 'sku,count\na,1\nb,2\n');
    const page = await getPage(t, '/admin/tables', cookie);
    const row = /<tr data-discovered="shop.stock">([\s\S]*?)<\/tr>/.exec(page.text)![1]!;
    expect(row).toContain('name="table" value="stock"');
    expect(row).toContain('name="source" value="shop"');
    expect(page.text).not.toContain('data-discovered="shop.orders"');
    const res = await submitForm(t, '/admin/tables', '/admin/tables/register', cookie, { source: 'shop', table: 'stock', private: 'on' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/tables?notice=registered');
    const me = (await call(t, 'GET', '/auth/me', { token: admin })).json.id;
    expect(await registryEntry('stock')).toMatchObject({
      name: 'stock',
      folder: 'shop',
      bucket: 'shop',
      source_type: 'local',
      is_public: false,
      registered_by: me,
    });
    const after = await getPage(t, '/admin/tables?notice=registered', cookie);
    expect(after.text).not.toContain('data-discovered="shop.stock"');
    expect(after.text).toContain('<tr data-table="stock">');
    expect(after.text).toContain('Registered.');
    // Registered twice: 409; a table the source does not have: 404.
    expect((await submitForm(t, '/admin/tables', '/admin/tables/register', cookie, { source: 'shop', table: 'stock' })).status).toBe(409);
    expect((await submitForm(t, '/admin/tables', '/admin/tables/register', cookie, { source: 'shop', table: 'nothing' })).status).toBe(404);
    // Its sync now goes to the source the registry names.
    expect((await submitForm(t, '/admin/tables', '/admin/tables/stock/sync', cookie)).status).toBe(303);
    await waitFor('stock to be extracted', async () => (await historyCount('stock')) > 0);
  });

  // After the sync tests: a new schedule starts a run of its table right away.
  it('saves a valid schedule and an unchecked profile-after-sync box; clearing the field clears the schedule', async () => {
    expect((await edit('orders', { description: '', visibility: 'public', sync_schedule: '2 hours' })).status).toBe(303);
    expect(await registryEntry('orders')).toMatchObject({ sync_schedule: '2 hours', profile_after_sync: false });
    expect(/<tr data-table="orders">[\s\S]*?<\/tr>/.exec((await getPage(t, '/admin/tables', cookie)).text)![0]).toContain('<code>2 hours</code>');
    expect((await edit('orders', { description: '', visibility: 'public', sync_schedule: '', profile_after_sync: 'on' })).status).toBe(303);
    expect(await registryEntry('orders')).toMatchObject({ sync_schedule: null, profile_after_sync: true });
  });

  it('answers a non-admin with the HTML 403 page, for the list, the edit page and every form', async () => {
    for (const path of ['/admin/tables', '/admin/tables/orders']) {
      const page = await getPage(t, path, viewer.cookie);
      expect(page.status, path).toBe(403);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(page.text).toContain('Not allowed');
    }
    const before = await registryEntry('orders');
    const forms: [string, Record<string, string>][] = [
      ['/admin/tables/orders', { visibility: 'private' }],
      ['/admin/tables/orders/sync', {}],
      ['/admin/tables/register', { source: 'shop', table: 'orders' }],
    ];
    for (const [action, fields] of forms) {
      expect((await submitForm(t, '/dashboard', action, viewer.cookie, fields)).status, action).toBe(403);
    }
    expect(await registryEntry('orders')).toEqual(before);
  });

  it('refuses a form without the CSRF token and changes nothing', async () => {
    const before = await registryEntry('orders');
    const res = await postForm(t, '/admin/tables/orders', cookie, { description: 'csrf', visibility: 'private', sync_schedule: '' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('security token');
    expect(await registryEntry('orders')).toEqual(before);
    expect((await postForm(t, '/admin/tables/orders/sync', cookie, {})).status).toBe(403);
  });
});
