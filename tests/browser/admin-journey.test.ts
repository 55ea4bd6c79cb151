import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { call } from '../../packages/host/test/identity/helpers.js';
import { CspWatch, describeInBrowser, launchBrowser, snap } from './browser.js';
import { open, portalHost, signedInPage, type Portal } from './portal.js';

/**
 * An analyst asks for a private table and an admin grants it; the admin makes a table
 * private, runs a job, and finds all of it in the audit log. One host and one browser: the
 * audit test reads what the tests before it did, so they run in this order.
 */

let portal: Portal;
let browser: Browser;
let admin: Page;
let analyst: Page;
let viewer: Page;
const csp = new CspWatch();

const listed = (page: Page) => page.locator('table.catalog tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-table')));

/** Clicks a form's submit button and waits for the page the post redirects to. */
async function submit(page: Page, button: ReturnType<Page['getByRole']>, landsOn: string): Promise<void> {
  await Promise.all([page.waitForURL(`**${landsOn}**`), button.click()]);
}

describeInBrowser('access requests and admin pages in the browser', () => {
  beforeAll(async () => {
    [portal, browser] = await Promise.all([portalHost(), launchBrowser()]);
    [admin, analyst, viewer] = await Promise.all([portal.admin, portal.analyst, portal.viewer].map((who) => signedInPage(browser, portal, who, csp)));
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.t.stop();
  });
  afterEach(() => expect(csp.take(), 'CSP violations reported in the console').toEqual([]));

  it('an analyst asks for a private table on /access, an admin approves it there, and the analyst then reads its page', async () => {
    expect((await analyst.goto('/catalog/salaries'))?.status()).toBe(403);

    await submit(analyst, analyst.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Access' }), '/access');
    await analyst.getByLabel('Table name').fill('salaries');
    await analyst.getByLabel(/^Reason/).fill('pay benchmark for the 2027 budget');
    await submit(analyst, analyst.getByRole('button', { name: 'Request access' }), '/access');
    await analyst.getByRole('status').waitFor();
    const mine = analyst.getByRole('row').filter({ hasText: 'salaries' });
    expect(await mine.locator('[data-state]').textContent()).toBe('pending');
    await snap(analyst, 'access-requested');

    await open(admin, '/access');
    const waiting = admin
      .getByRole('region', { name: /Waiting for your decision/ })
      .getByRole('row')
      .filter({ hasText: portal.analyst.email });
    expect(await waiting.count()).toBe(1);
    expect(await waiting.textContent()).toContain('pay benchmark for the 2027 budget');
    await snap(admin, 'access-queue');
    await submit(admin, waiting.getByRole('button', { name: 'Approve' }), '/access');
    await admin.getByRole('status').waitFor();
    expect(await admin.getByRole('row').filter({ hasText: portal.analyst.email }).count()).toBe(0);
    await snap(admin, 'access-approved');
    const requests = await call(portal.t, 'GET', '/api/access-requests/my', { token: portal.analyst.token });
    expect(JSON.stringify(requests.json)).toContain('approved');

    await analyst.reload();
    expect(await mine.locator('[data-state]').textContent()).toBe('approved');
    await open(analyst, '/catalog');
    expect(await listed(analyst)).toContain('salaries');
    await submit(analyst, analyst.getByRole('link', { name: 'salaries', exact: true }), '/catalog/salaries');
    const schema = analyst.locator('table.schema');
    for (const column of ['person', 'salary']) expect(await schema.getByRole('cell', { name: column, exact: true }).count()).toBe(1);
    await snap(analyst, 'table-salaries-granted');
  });

  it('an admin makes a table private on /admin/tables and a viewer no longer sees it in the catalog', async () => {
    await open(viewer, '/catalog');
    expect(await listed(viewer)).toContain('customers');

    await submit(admin, admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }), '/admin');
    await submit(admin, admin.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Tables' }), '/admin/tables');
    await snap(admin, 'admin-tables');
    await submit(admin, admin.getByRole('link', { name: 'Edit customers' }), '/admin/tables/customers');
    await admin.getByLabel('Description').fill('Who buys from the shop');
    await admin.getByRole('radio', { name: /^Private/ }).check();
    await snap(admin, 'admin-table-edit');
    await submit(admin, admin.getByRole('button', { name: 'Save' }), '/admin/tables');
    await admin.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect(await admin.locator('tr[data-table="customers"] [data-access]').textContent()).toBe('private');
    await snap(admin, 'admin-tables-saved');
    const entry = await call(portal.t, 'GET', '/api/admin/registry', { token: portal.admin.token });
    expect(entry.json.tables.find((e: any) => e.id === 'customers')).toMatchObject({ is_public: false, description: 'Who buys from the shop' });

    await viewer.reload();
    expect(await listed(viewer)).toEqual(['orders']);
    expect((await viewer.goto('/catalog/customers'))?.status()).toBe(403);
    await snap(viewer, 'catalog-after-private');
  });

  it('an admin runs a job now on /admin/jobs and sees its outcome after a reload', async () => {
    const job = 'local-files:sync';
    await submit(admin, admin.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Jobs' }), '/admin/jobs');
    const row = admin.locator(`tr[data-job="${job}"]`);
    expect(await row.locator('[data-outcome]').count()).toBe(0);
    await submit(admin, row.getByRole('button', { name: /Run now/ }), '/admin/jobs');
    await admin.getByRole('status').filter({ hasText: 'Queued' }).waitFor();
    await snap(admin, 'admin-jobs-queued');

    // A person reloads until the run has finished.
    const deadline = Date.now() + 30_000;
    while (!(await row.locator('[data-outcome]').count()) && Date.now() < deadline) {
      await admin.waitForTimeout(300);
      await admin.reload();
    }
    expect(await row.locator('[data-outcome]').textContent()).toBe('completed');
    await snap(admin, 'admin-jobs-done');
    const jobs = await call(portal.t, 'GET', '/api/admin/jobs', { token: portal.admin.token });
    expect(jobs.json.jobs.find((j: any) => j.name === job)).toMatchObject({ last_status: 'completed' });

    await submit(admin, row.getByRole('link', { name: 'History' }), '/admin/jobs/runs');
    expect(await admin.getByRole('row').filter({ hasText: 'completed' }).count()).toBeGreaterThan(0);
    await snap(admin, 'admin-job-runs');
  });

  it('/admin/audit shows those posts, filtered by action and by user, and pages through the log', async () => {
    await submit(admin, admin.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Audit' }), '/admin/audit');
    await snap(admin, 'admin-audit');
    const expected: [action: string, resource: RegExp][] = [
      ['POST /access/requests', /^\/access\/requests$/],
      ['POST /access/requests/:id/approve', /^\/access\/requests\/[^/]+\/approve$/],
      ['POST /admin/tables/:name', /^\/admin\/tables\/customers$/],
      ['POST /admin/jobs/run', /^\/admin\/jobs\/run$/],
    ];
    for (const [action, resource] of expected) {
      await admin.getByLabel('Action').fill(action);
      await submit(admin, admin.getByRole('button', { name: 'Filter' }), '/admin/audit?');
      const rows = admin.locator('table.audit tbody tr');
      expect(await rows.count(), action).toBeGreaterThan(0);
      for (const r of await rows.all()) {
        expect(await r.locator('[data-action]').textContent()).toBe(action);
        expect(await r.locator('.audit-resource').textContent()).toMatch(resource);
      }
      await snap(admin, `admin-audit-${action.replace(/[^a-z]+/gi, '-')}`);
    }

    // By user: the analyst's own request is theirs.
    await admin.getByLabel('Action').fill('');
    await admin.getByLabel('User').selectOption({ label: portal.analyst.email });
    await submit(admin, admin.getByRole('button', { name: 'Filter' }), '/admin/audit?');
    const actions = await admin.locator('table.audit [data-action]').allTextContents();
    expect(actions).toContain('POST /access/requests');
    expect(actions).not.toContain('POST /access/requests/:id/approve');

    // Paging: two rows a page, the next page starts at the third.
    await open(admin, '/admin/audit?limit=2');
    const pager = admin.getByRole('navigation', { name: 'Pages' });
    expect(await pager.textContent()).toMatch(/1–2 of/);
    await submit(admin, pager.getByRole('link', { name: 'Next' }), 'offset=2');
    expect(await admin.getByRole('navigation', { name: 'Pages' }).textContent()).toMatch(/3–4 of/);
    expect(await admin.locator('table.audit tbody tr').count()).toBe(2);
  });
});
