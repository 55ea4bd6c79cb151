import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { localFilesPlugin } from '../../src/local-files/plugin.js';
import { bootstrap, call, userWithSession } from '../identity/helpers.js';
import { browserSession, getPage, postForm, submitForm } from './forms.js';

const PASSWORD = 'user-password-1';
const html = { accept: 'text/html' };

/** As nunjucks' autoescape writes text into a page. */
function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * A host like test/data/fixtures.ts' dataHost (sources shop and hr, salaries private), but with
 * its instance config: `catalog.list_restricted` as asked, and no profiling after a rebuild, so
 * a table stays unprofiled until the test profiles it.
 */
async function catalogHost(listRestricted: boolean): Promise<{ t: TestHost; admin: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'aida-table-page-'));
  const shop = join(root, 'shop');
  const hr = join(root, 'hr');
  await mkdir(shop);
  await mkdir(hr);
  const day = (i: number) => `2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`;
  const orders = ['order_id,customer,amount,ordered_on', ...Array.from({ length: 500 }, (_, i) => `${i + 1},c${i % 37},${(i * 7) % 100}.5,${day(i)}`)];
  await writeFile(join(shop, 'orders.csv'), `${orders.join('\n')}\n`);
  await writeFile(join(shop, 'customers.csv'), 'customer,name\nc1,Ada\nc2,Ben\n');
  await writeFile(join(hr, 'salaries.csv'), 'person,salary\nada,100\nben,90\n');
  const t = await startTestHost({
    plugins: [
      {
        plugin: localFilesPlugin,
        config: {
          sources: [
            { name: 'shop', path: shop },
            { name: 'hr', path: hr },
          ],
        },
      },
    ],
    config: { catalog: { list_restricted: listRestricted }, analytics: { profile_after_rebuild: false } },
  });
  for (const s of ['shop', 'hr']) {
    const r = await t.host.syncSource(s);
    if (r.error) throw new Error(r.error);
  }
  const admin = await bootstrap(t);
  const put = await call(t, 'PUT', '/api/admin/registry/salaries', { token: admin, body: { is_public: false, description: 'Pay of the staff' } });
  expect(put.status).toBe(200);
  return { t, admin, cleanup: () => rm(root, { recursive: true, force: true }) };
}

describe('/catalog/{table} for a reader', () => {
  let t: TestHost;
  let admin: string;
  let cleanup: () => Promise<void>;
  let viewer: { id: string; token: string };
  let analyst: { id: string; token: string };
  const page = async (path: string, token: string) => call(t, 'GET', path, { token, headers: html });

  beforeAll(async () => {
    ({ t, admin, cleanup } = await catalogHost(false));
    viewer = await userWithSession(t, admin, 'viewer@example.com', 'viewer');
    analyst = await userWithSession(t, admin, 'analyst@example.com', 'analyst');
  });
  afterAll(async () => {
    await t?.stop();
    await cleanup?.();
  });

  it('shows the schema, row count, freshness and how to query it, and says the table is not profiled yet', async () => {
    const res = await page('/catalog/orders', viewer.token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.text).toContain('<h1><code>orders</code></h1>');
    expect(res.text).toMatch(/data-rows>500</);
    for (const [col, type] of [
      ['order_id', 'BIGINT'],
      ['customer', 'VARCHAR'],
      ['amount', 'DOUBLE'],
      ['ordered_on', 'DATE'],
    ]) {
      expect(res.text).toContain(`<td><code>${col}</code></td><td>${type}</td>`);
    }
    expect(res.text).toMatch(/<time datetime="[^"]+Z" title="\d{4}-\d\d-\d\d \d\d:\d\d UTC">/);
    expect(res.text).toContain('<code id="sql-snippet">SELECT * FROM &quot;orders&quot; LIMIT 100</code>');
    expect(res.text).toContain('data-copy="#sql-snippet"');
    expect(res.text).toContain('<code id="da-command">da sync --table orders</code>');
    expect(res.text).toContain('data-copy="#da-command"');
    expect(res.text).toContain('data-not-profiled');
    expect(res.text).toContain('not profiled yet');
    expect(res.text).not.toContain('<svg');
    // A viewer may not profile (analyst+), nor see the sync history (admin).
    expect(res.text).not.toContain('/catalog/orders/profile');
    expect(res.text).not.toContain('Sync history');
    // The page computed nothing.
    expect((await call(t, 'GET', '/api/catalog/profile/orders?compute=false', { token: admin })).status).toBe(404);
  });

  it('lets an analyst profile the table with "Profile now", then shows the profile with SVG charts and alerts', async () => {
    const { cookie } = await browserSession(t, { email: 'analyst@example.com', password: PASSWORD });
    const before = await getPage(t, '/catalog/orders', cookie);
    expect(before.text).toContain('action="/catalog/orders/profile"');
    expect(before.text).toContain('Profile now');
    const res = await submitForm(t, '/catalog/orders', '/catalog/orders/profile', cookie);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/catalog/orders?notice=profiled');
    // The same profile the JSON API now serves.
    const stored = await call(t, 'GET', '/api/catalog/profile/orders?compute=false', { token: analyst.token });
    expect(stored.status).toBe(200);
    expect(stored.json.columns.map((c: { name: string }) => c.name)).toEqual(['order_id', 'customer', 'amount', 'ordered_on']);

    const after = await getPage(t, res.headers.get('location')!, cookie);
    expect(after.status).toBe(200);
    expect(after.text).toContain('The profile was computed.');
    expect(after.text).not.toContain('data-not-profiled');
    expect(after.text).toContain('Profile again');
    // Numbers and dates get a histogram, text its top values; every chart is a named image.
    expect(after.text).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="chart histogram"');
    expect(after.text).toContain('aria-label="Distribution of amount: 10 bins');
    expect(after.text).toMatch(/aria-label="Values of ordered_on per (day|month|year)/);
    expect(after.text).toContain('aria-label="Most frequent values of customer: 10 most frequent values');
    expect(after.text).toContain('aria-label="Nulls in amount: 0%"');
    expect(after.text).toContain('aria-label="Distinct values in order_id: 100%"');
    for (const svg of after.text.match(/<svg[^>]*>/g)!) expect(svg).toMatch(/role="img" aria-label="[^"]+"/);
    expect(after.text).not.toMatch(/style="/);
    // Min and max of the numbers, formatted.
    expect(after.text).toContain('<dt>Max</dt><dd>500</dd>');
    // The profile's alerts, as the profile words them.
    expect(stored.json.alerts.length).toBeGreaterThan(0);
    for (const a of stored.json.alerts as { message: string }[]) expect(after.text).toContain(escapeHtml(a.message));
  });

  it('shows an admin the sync history of the table, and a viewer not', async () => {
    const res = await page('/catalog/orders', admin);
    expect(res.text).toContain('<h2>Sync history</h2>');
    const history = /<table class="sync-history">([\s\S]*?)<\/table>/.exec(res.text)![1]!;
    expect(history).toContain('<span class="badge ok">ok</span>');
    expect(history).toContain('<td class="num">500</td>');
    const rows = (await call(t, 'GET', '/api/admin/sync-history?table=orders', { token: admin })).json;
    expect(history.match(/<tr>/g)!.length - 1).toBe(rows.total);
    expect((await page('/catalog/orders', viewer.token)).text).not.toContain('sync-history');
  });

  it('refuses "Profile now" to a viewer, and to an analyst for a table they cannot read', async () => {
    const v = await browserSession(t, { email: 'viewer@example.com', password: PASSWORD });
    const csrf = /name="_csrf" value="([^"]+)"/.exec((await getPage(t, '/catalog/orders', v.cookie)).text)![1]!;
    expect((await postForm(t, '/catalog/orders/profile', v.cookie, { _csrf: csrf })).status).toBe(403);
    const a = await browserSession(t, { email: 'analyst@example.com', password: PASSWORD });
    const res = await submitForm(t, '/catalog/orders', '/catalog/salaries/profile', a.cookie);
    expect(res.status).toBe(403);
    expect((await call(t, 'GET', '/api/catalog/profile/salaries?compute=false', { token: admin })).status).toBe(404);
  });

  it('answers a non-reader of a private table and an unknown table alike with the 403 page (no existence oracle); an admin gets 404 for an unknown one', async () => {
    for (const path of ['/catalog/salaries', '/catalog/no_such_table']) {
      const res = await page(path, viewer.token);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(res.text).toContain('does not exist or you have no access');
      expect(res.text).not.toContain('Pay of the staff');
      expect(res.text).not.toContain('person');
    }
    const unknown = await page('/catalog/no_such_table', admin);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/text\/html/);
    const salaries = await page('/catalog/salaries', admin);
    expect(salaries.status).toBe(200);
    expect(salaries.text).toContain('<td><code>person</code></td>');
    expect(salaries.text).toContain('<span class="badge warn">private</span>');
  });
});

describe('/catalog/{table} with catalog.list_restricted', () => {
  let t: TestHost;
  let admin: string;
  let cleanup: () => Promise<void>;
  let viewer: { id: string; token: string };

  beforeAll(async () => {
    ({ t, admin, cleanup } = await catalogHost(true));
    viewer = await userWithSession(t, admin, 'viewer@example.com', 'viewer');
    // A profile exists, so the restricted view provably leaves it out.
    expect((await call(t, 'POST', '/api/catalog/profile/salaries/refresh', { token: admin })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.stop();
    await cleanup?.();
  });

  it('shows a non-reader of a private table its name, description and "Request access", nothing else', async () => {
    const res = await call(t, 'GET', '/catalog/salaries', { token: viewer.token, headers: html });
    expect(res.status).toBe(200);
    expect(res.text).toContain('<h1><code>salaries</code></h1>');
    expect(res.text).toContain('Pay of the staff');
    const form = /<form method="post" action="\/access\/requests">([\s\S]*?)<\/form>/.exec(res.text)![1]!;
    expect(form).toMatch(/name="_csrf" value="[^"]+"/);
    expect(form).toContain('<input type="hidden" name="table" value="salaries">');
    expect(form).toContain('Request access');
    for (const secret of ['person', 'salary', 'data-rows', '<svg', 'sql-snippet', 'Sync history', '>hr<', 'source']) expect(res.text).not.toContain(secret);
  });

  it('answers an unknown table with the 404 page, since every registered name is listed anyway', async () => {
    const res = await call(t, 'GET', '/catalog/no_such_table', { token: viewer.token, headers: html });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('shows the whole table once the viewer is granted it', async () => {
    expect((await call(t, 'POST', '/api/admin/permissions', { token: admin, body: { user_id: viewer.id, dataset: 'salaries' } })).status).toBeLessThan(300);
    const res = await call(t, 'GET', '/catalog/salaries', { token: viewer.token, headers: html });
    expect(res.text).toContain('<td><code>person</code></td>');
    expect(res.text).toContain('class="chart top-values"');
    expect(res.text).not.toContain('action="/access/requests"');
  });
});
