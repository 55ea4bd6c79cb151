import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { localFilesPlugin } from '../../src/local-files/plugin.js';
import { dataHost } from '../data/fixtures.js';
import { bootstrap, call, userWithSession } from '../identity/helpers.js';

const html = { accept: 'text/html' };

/** The tables a catalog page lists, by the `data-table` of their rows, in order. */
function listed(page: string): string[] {
  return [...page.matchAll(/<tr data-table="([^"]+)"/g)].map((m) => m[1]!);
}

/** The row of one table on a catalog page. */
function rowOf(page: string, table: string): string {
  const m = new RegExp(`<tr data-table="${table}"[\\s\\S]*?</tr>`).exec(page);
  if (!m) throw new Error(`no row for ${table}`);
  return m[0];
}

/** The options of a select box on a page. */
function options(page: string, name: string): string[] {
  const select = new RegExp(`<select name="${name}">([\\s\\S]*?)</select>`).exec(page)![1]!;
  return [...select.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1]!);
}

describe('/catalog', () => {
  let t: TestHost;
  let admin: string;
  let viewer: { id: string; token: string };
  const catalog = async (query: string, token: string) => {
    const res = await call(t, 'GET', `/catalog${query}`, { token, headers: html });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    return res.text;
  };

  beforeAll(async () => {
    ({ t, admin } = await dataHost());
    viewer = await userWithSession(t, admin, 'viewer@example.com', 'viewer');
    expect((await call(t, 'PUT', '/api/admin/registry/salaries', { token: admin, body: { is_public: false } })).status).toBe(200);
    expect((await call(t, 'PUT', '/api/admin/registry/customers', { token: admin, body: { description: 'People Who Buy from us' } })).status).toBe(200);
  });
  afterAll(() => t?.stop());

  it('lists what a viewer can read, as GET /api/catalog/tables does, with links, rows, size and freshness; never a private table', async () => {
    const page = await catalog('', viewer.token);
    const api = (await call(t, 'GET', '/api/catalog/tables', { token: viewer.token })).json;
    expect(listed(page)).toEqual(api.tables.map((x: { id: string }) => x.id));
    expect(listed(page)).toEqual(['customers', 'orders']);
    expect(page).not.toContain('salaries');
    const orders = rowOf(page, 'orders');
    expect(orders).toContain('<a href="/catalog/orders"><code>orders</code></a>');
    expect(orders).toContain('<td class="num">500</td>');
    expect(orders).toMatch(/<td class="num">[\d.]+ (B|KB)<\/td>/);
    expect(orders).toMatch(/<time datetime="[^"]+Z" title="[^"]+ UTC">/);
    expect(orders).toContain('<td>shop</td>');
    expect(rowOf(page, 'customers')).toContain('People Who Buy from us');
    // The filters offer only the sources and buckets of tables the viewer reads: not hr.
    expect(options(page, 'source')).toEqual(['', 'shop']);
    expect(options(page, 'bucket')).toEqual(['', 'shop']);
    // No Request access without catalog.list_restricted.
    expect(page).not.toContain('/access/requests');
  });

  it('finds a table by a column name, by its name and by its description, ignoring case', async () => {
    expect(listed(await catalog('?q=AMOUNT', viewer.token))).toEqual(['orders']);
    expect(listed(await catalog('?q=order_id', viewer.token))).toEqual(['orders']);
    // `customer` is a column of orders and (part of) the name of customers.
    expect(listed(await catalog('?q=customer', viewer.token))).toEqual(['customers', 'orders']);
    expect(listed(await catalog('?q=who%20buy', viewer.token))).toEqual(['customers']);
    const none = await catalog('?q=%3Cb%3Enothing', viewer.token);
    expect(listed(none)).toEqual([]);
    expect(none).toContain('No table matches “&lt;b&gt;nothing”');
    // The search box keeps what was searched.
    expect(await catalog('?q=amount', viewer.token)).toContain('name="q" value="amount"');
  });

  it('does not find a private table by its columns for someone who cannot read it', async () => {
    expect(listed(await catalog('?q=salary', viewer.token))).toEqual([]);
    expect(listed(await catalog('?q=salary', admin))).toEqual(['salaries']);
  });

  it('filters by source and bucket; an unknown value matches nothing', async () => {
    expect(listed(await catalog('?source=shop', admin))).toEqual(['customers', 'orders']);
    expect(listed(await catalog('?source=hr', admin))).toEqual(['salaries']);
    expect(listed(await catalog('?bucket=hr', admin))).toEqual(['salaries']);
    expect(listed(await catalog('?source=shop&q=amount', admin))).toEqual(['orders']);
    expect(listed(await catalog('?source=hr', viewer.token))).toEqual([]);
    const unknown = await catalog('?source=nope', admin);
    expect(listed(unknown)).toEqual([]);
    expect(unknown).toContain('in source <code>nope</code>');
    expect(unknown).toContain('<option value="nope" selected>nope</option>');
    // An empty select is "all".
    expect(listed(await catalog('?q=&source=&bucket=', admin))).toEqual(['customers', 'orders', 'salaries']);
    expect(options(await catalog('', admin), 'source')).toEqual(['', 'hr', 'shop']);
  });

  it('shows an admin every table, private ones with their details', async () => {
    const page = await catalog('', admin);
    expect(listed(page)).toEqual(['customers', 'orders', 'salaries']);
    expect(rowOf(page, 'salaries')).toContain('<td class="num">2</td>');
  });

  it('says so when the viewer can read nothing', async () => {
    for (const table of ['orders', 'customers']) {
      expect((await call(t, 'PUT', `/api/admin/registry/${table}`, { token: admin, body: { is_public: false } })).status).toBe(200);
    }
    try {
      const page = await catalog('', viewer.token);
      expect(listed(page)).toEqual([]);
      expect(page).toContain('There are no tables you can read yet');
    } finally {
      for (const table of ['orders', 'customers']) {
        expect((await call(t, 'PUT', `/api/admin/registry/${table}`, { token: admin, body: { is_public: true } })).status).toBe(200);
      }
    }
  });
});

describe('/catalog with catalog.list_restricted', () => {
  let t: TestHost;
  let admin: string;
  let viewer: { id: string; token: string };
  let root: string;

  // dataHost takes no config: the same two sources, on a host with list_restricted on.
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'aida-catalog-'));
    await mkdir(join(root, 'shop'));
    await mkdir(join(root, 'hr'));
    await writeFile(join(root, 'shop', 'orders.csv'), 'order_id,amount\n1,2.5\n2,3.5\n3,4.5\n');
    await writeFile(join(root, 'hr', 'salaries.csv'), 'person,salary\nada,100\nben,90\n');
    t = await startTestHost({
      plugins: [{ plugin: localFilesPlugin, config: { sources: ['shop', 'hr'].map((name) => ({ name, path: join(root, name) })) } }],
      config: { catalog: { list_restricted: true } },
    });
    for (const s of ['shop', 'hr']) expect((await t.host.syncSource(s)).error).toBeUndefined();
    admin = await bootstrap(t);
    viewer = await userWithSession(t, admin, 'viewer@example.com', 'viewer');
    const put = await call(t, 'PUT', '/api/admin/registry/salaries', { token: admin, body: { is_public: false, description: 'Pay of the staff' } });
    expect(put.status).toBe(200);
  });
  afterAll(async () => {
    await t?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('lists a private table by name and description with a "Request access" form, and nothing else of it', async () => {
    const page = (await call(t, 'GET', '/catalog', { token: viewer.token, headers: html })).text;
    expect(listed(page)).toEqual(['orders', 'salaries']);
    const salaries = rowOf(page, 'salaries');
    expect(salaries).toContain('<code>salaries</code>');
    expect(salaries).toContain('Pay of the staff');
    expect(salaries).toContain('action="/access/requests"');
    expect(salaries).toMatch(/name="_csrf" value="[^"]+"/);
    expect(salaries).toContain('<input type="hidden" name="table" value="salaries">');
    expect(salaries).toContain('Request access');
    // No row count, size, source, bucket or freshness.
    expect(salaries).not.toContain('class="num"');
    expect(salaries).not.toContain('<time');
    expect(salaries).not.toMatch(/>hr</);
    // The readable table keeps its details; the private one's source is not offered as a filter.
    expect(rowOf(page, 'orders')).toContain('<td class="num">3</td>');
    expect(options(page, 'source')).toEqual(['', 'shop']);
    expect(page).toContain('1 table you can read');
  });

  it('matches a private table on its name and description only, and never under a source filter', async () => {
    const find = async (q: string) => listed((await call(t, 'GET', `/catalog${q}`, { token: viewer.token, headers: html })).text);
    expect(await find('?q=SALAR')).toEqual(['salaries']);
    expect(await find('?q=staff')).toEqual(['salaries']);
    expect(await find('?q=person')).toEqual([]);
    expect(await find('?source=hr')).toEqual([]);
    expect(await find('?bucket=hr')).toEqual([]);
  });

  it('gives a reader the full row, with no "Request access"', async () => {
    const page = (await call(t, 'GET', '/catalog', { token: admin, headers: html })).text;
    expect(rowOf(page, 'salaries')).toContain('<td class="num">2</td>');
    expect(page).not.toContain('/access/requests');
  });
});
