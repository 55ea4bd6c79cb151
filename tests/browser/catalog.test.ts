import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { call } from '../../packages/host/test/identity/helpers.js';
import { CspWatch, describeInBrowser, launchBrowser, snap } from './browser.js';
import { portalHost, signedInPage, type Portal } from './portal.js';

let portal: Portal;
let browser: Browser;
let viewer: Page;
const csp = new CspWatch();

/** The table names the catalog page lists, in order. */
const listed = (page: Page) => page.locator('table.catalog tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-table')));

describeInBrowser('the catalog in the browser', () => {
  beforeAll(async () => {
    [portal, browser] = await Promise.all([portalHost(), launchBrowser()]);
    viewer = await signedInPage(browser, portal, portal.viewer, csp);
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.t.stop();
  });
  afterEach(() => expect(csp.take(), 'CSP violations reported in the console').toEqual([]));

  it('lists the tables a viewer can read, and finds one by a column name with the search box', async () => {
    await Promise.all([viewer.waitForURL('**/catalog'), viewer.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Catalog' }).click()]);
    expect((await listed(viewer)).sort()).toEqual(['customers', 'orders']);
    await snap(viewer, 'catalog-viewer');

    // `amount` is a column of orders only; no table name or description says it.
    await viewer.getByRole('searchbox', { name: 'Search' }).fill('amount');
    await Promise.all([viewer.waitForURL('**/catalog?**'), viewer.getByRole('button', { name: 'Search' }).click()]);
    expect(new URL(viewer.url()).searchParams.get('q')).toBe('amount');
    expect(await listed(viewer)).toEqual(['orders']);
    await snap(viewer, 'catalog-search-amount');

    // Nothing matches: the page says so instead of an empty table.
    await viewer.getByRole('searchbox', { name: 'Search' }).fill('no-such-column');
    await Promise.all([viewer.waitForURL('**q=no-such-column**'), viewer.getByRole('searchbox', { name: 'Search' }).press('Enter')]);
    expect(await listed(viewer)).toEqual([]);
    expect(await viewer.getByText('No table matches').count()).toBe(1);
  });

  it('opens a table page with its schema; after an admin profiles it, every reader sees the charts', async () => {
    await viewer.goto('/catalog?q=amount');
    await Promise.all([viewer.waitForURL('**/catalog/orders'), viewer.getByRole('link', { name: 'orders', exact: true }).click()]);
    await viewer.getByRole('heading', { level: 1, name: 'orders' }).waitFor();
    const schema = viewer.locator('table.schema');
    for (const column of ['order_id', 'customer', 'amount']) expect(await schema.getByRole('cell', { name: column, exact: true }).count()).toBe(1);

    // The admin computes the profile with the page's button (the JSON API's refresh, behind it).
    const admin = await signedInPage(browser, portal, portal.admin, csp);
    await admin.goto('/catalog/orders');
    await Promise.all([admin.waitForURL('**/catalog/orders**'), admin.getByRole('button', { name: /^Profile (now|again)$/ }).click()]);
    await admin.getByRole('status').filter({ hasText: 'profile was computed' }).waitFor();
    const profile = await call(portal.t, 'GET', '/api/catalog/profile/orders', { token: portal.admin.token });
    expect(profile.status).toBe(200);
    // An admin also sees the table's sync history.
    await admin.getByRole('heading', { name: 'Sync history' }).waitFor();
    await snap(admin, 'table-orders-admin');

    await viewer.reload();
    const amount = viewer.getByRole('region', { name: /amount/ });
    const chart = amount.locator('svg[role="img"]').last();
    await chart.waitFor({ state: 'visible' });
    expect(await chart.getAttribute('aria-label')).toMatch(/amount/);
    expect(await amount.locator('svg rect').count()).toBeGreaterThan(1);
    // A text column gets a chart too (its top values).
    await viewer
      .getByRole('region', { name: /customer/ })
      .locator('svg')
      .first()
      .waitFor({ state: 'visible' });
    expect(await viewer.getByRole('heading', { name: 'Sync history' }).count()).toBe(0);
    await snap(viewer, 'table-orders-viewer');
  });

  it('hides a private table from a viewer: not listed, and its page is refused', async () => {
    await viewer.goto('/catalog');
    expect(await listed(viewer)).not.toContain('salaries');
    const res = await viewer.goto('/catalog/salaries');
    expect(res?.status()).toBe(403);
    expect(await viewer.getByRole('cell', { name: 'salary', exact: true }).count()).toBe(0);
    await snap(viewer, 'table-salaries-refused');
  });
});
