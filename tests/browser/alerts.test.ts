import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { tokens, type Notification } from '@aida/core';
import { CspWatch, describeInBrowser, launchBrowser, snap } from './browser.js';
import { open, portalHost, signedInPage, type Portal } from './portal.js';

let portal: Portal;
let browser: Browser;
const csp = new CspWatch();
/** What the test's channel `rec` was handed. */
const delivered: Notification[] = [];

describeInBrowser('the /alerts page', () => {
  beforeAll(async () => {
    [portal, browser] = await Promise.all([portalHost(), launchBrowser()]);
    portal.t.host.resolve(tokens.notifications).registerChannel({
      id: 'rec',
      async deliver(n) {
        delivered.push(n);
        return { status: 'delivered' };
      },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.t.stop();
  });
  afterEach(() => expect(csp.take(), 'CSP violations reported in the console').toEqual([]));

  it('an analyst creates a rule, is told what is wrong with a bad one, tests it, sends it, and deletes it', async () => {
    const page = await signedInPage(browser, portal, portal.analyst, csp);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    await page.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor();
    expect(await page.getByText('You have no alert rules yet.').count()).toBe(1);

    await page.getByLabel('Name', { exact: true }).fill('Big orders');
    await page.getByLabel(/^SQL/).fill('SELECT order_id, amount FROM orders WHERE amount > 99 ORDER BY order_id');
    await page.getByLabel('Condition', { exact: true }).fill('amount >= 99.5');
    await page.getByLabel('Message', { exact: true }).fill('{{row_count}} big orders, first {{order_id}}');
    await page.getByLabel(/^Schedule/).fill('every hour');
    await page.getByRole('checkbox', { name: 'rec' }).check();
    await page.getByRole('button', { name: 'Create rule' }).click();
    // Refused: the reason, and what was typed is still there.
    const error = page.getByRole('alert');
    await error.waitFor();
    expect(await error.textContent()).toContain('schedule: "every hour" is not a 5-field cron expression');
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Big orders');
    expect(await page.getByRole('checkbox', { name: 'rec' }).isChecked()).toBe(true);
    await snap(page, 'alerts-refused');

    await page.getByLabel(/^Schedule/).fill('0 0 1 1 *');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('status').filter({ hasText: 'Alert rule created' }).waitFor();
    const section = page.locator('section.alert-rule').filter({ hasText: 'Big orders' });
    expect(await section.count()).toBe(1);
    expect(await section.getByText('amount >= 99.5').count()).toBe(1);

    await section.getByRole('button', { name: 'Test', exact: true }).click();
    const test = page.locator('section.alert-test');
    await test.waitFor();
    expect(await test.locator('[data-test-message]').textContent()).toBe('5 big orders, first 58');
    expect(await test.getByRole('row').count()).toBe(6); // header + the 5 rows
    expect(delivered).toHaveLength(0);
    await snap(page, 'alerts-test');

    await page.locator('section.alert-rule').filter({ hasText: 'Big orders' }).getByRole('button', { name: 'Test and send' }).click();
    await page.locator('[data-test-delivered]').waitFor();
    expect(await page.locator('[data-test-delivered]').textContent()).toContain('rec delivered');
    expect(delivered.map((n) => [n.title, n.body])).toEqual([['Big orders', '5 big orders, first 58']]);
    await open(page, '/alerts');
    const history = page.locator('section.alert-rule').filter({ hasText: 'Big orders' }).locator('table.alert-history');
    expect(await history.locator('tr[data-history-status="fired"]').count()).toBe(1);
    await snap(page, 'alerts-list');

    // Edit: the form comes back filled in.
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: 'Edit rule' }).waitFor();
    expect(await page.getByLabel('Condition', { exact: true }).inputValue()).toBe('amount >= 99.5');
    await page.getByLabel('Name', { exact: true }).fill('Biggest orders');
    await page.getByRole('button', { name: 'Save rule' }).click();
    await page.getByRole('status').filter({ hasText: 'Alert rule saved' }).waitFor();
    expect(await page.locator('section.alert-rule').filter({ hasText: 'Biggest orders' }).count()).toBe(1);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('section.alert-rule').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('status').filter({ hasText: 'Alert rule deleted' }).waitFor();
    expect(await page.locator('section.alert-rule').count()).toBe(0);
  });

  it('is not offered to a viewer, and refuses them', async () => {
    const page = await signedInPage(browser, portal, portal.viewer, csp);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).count()).toBe(0);
    const res = await page.goto('/alerts');
    expect(res?.status()).toBe(403);
  });
});
