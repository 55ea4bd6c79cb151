import { createRequire } from 'node:module';
import type { AxeResults } from 'axe-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { startTestHost } from '@aida/host/testing';
import { memoryPlugin } from '@aida/plugin-memory';
import { ADMIN, bootstrap, call, userWithSession } from '../../packages/host/test/identity/helpers.js';
import { CspWatch, describeInBrowser, launchBrowser, newContext, snap } from './browser.js';
import { open, signedInPage, signIn, type Person, type Portal } from './portal.js';

/**
 * Corporate memory in the browser: an analyst proposes an item on /memory and votes on an
 * approved one, a km_admin approves the proposal on /memory/review, and the analyst then sees
 * it approved. Then axe-core and a phone-sized window on the same pages. One host and one
 * browser; the tests run in this order.
 */

const axePath = createRequire(import.meta.url).resolve('axe-core');
const PROPOSAL = 'Fiscal year starts in February';
const APPROVED = 'Revenue is net of refunds';

let portal: Portal;
let kmAdmin: Person;
let browser: Browser;
let analyst: Page;
let reviewer: Page;
let approvedId: string;
let proposalId: string;
const csp = new CspWatch();

/** A host with the memory plugin, the bootstrap admin, a viewer, an analyst and a km_admin (the same people as portalHost). */
async function memoryHost(): Promise<{ portal: Portal; kmAdmin: Person }> {
  const t = await startTestHost({ plugins: [{ plugin: memoryPlugin, config: {} }] });
  const admin = await bootstrap(t);
  const me = await call(t, 'GET', '/auth/me', { token: admin });
  // userWithSession gives every user this password.
  const person = async (email: string, role: string): Promise<Person> => ({
    email,
    password: 'user-password-1',
    ...(await userWithSession(t, admin, email, role)),
  });
  const [viewer, analystPerson, km] = [
    await person('viewer@example.com', 'viewer'),
    await person('analyst@example.com', 'analyst'),
    await person('km@example.com', 'km_admin'),
  ];
  return { portal: { t, admin: { email: ADMIN.email, password: ADMIN.password, token: admin, id: me.json.id }, viewer, analyst: analystPerson }, kmAdmin: km };
}

/** Clicks a form's submit button and waits for the page the post redirects to. */
async function submit(page: Page, button: ReturnType<Page['getByRole']>, landsOn: string): Promise<void> {
  await Promise.all([page.waitForURL(`**${landsOn}**`), button.click()]);
}

const api = (method: string, path: string, token: string, body?: unknown) => call(portal.t, method, path, { token, body });

describeInBrowser('corporate memory pages in the browser', () => {
  beforeAll(async () => {
    [{ portal, kmAdmin }, browser] = await Promise.all([memoryHost(), launchBrowser()]);
    const seeded = await api('POST', '/api/memory', portal.analyst.token, {
      title: APPROVED,
      content: 'Subtract refunds from gross revenue.',
      category: 'business_logic',
      tags: ['finance'],
    });
    approvedId = seeded.json.id;
    expect((await api('POST', '/api/memory/admin/approve', kmAdmin.token, { item_id: approvedId })).status).toBe(200);
    [analyst, reviewer] = await Promise.all([portal.analyst, kmAdmin].map((who) => signedInPage(browser, portal, who, csp)));
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.t.stop();
  });
  afterEach(() => expect(csp.take(), 'CSP violations reported in the console').toEqual([]));

  it('an analyst proposes an item on /memory and lands on its page, pending', async () => {
    await submit(analyst, analyst.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Memory' }), '/memory');
    const form = analyst.getByRole('region', { name: 'Propose an item' });
    await form.getByLabel('Title').fill(PROPOSAL);
    await form.getByLabel('Content').fill('Q1 is February to April.\nUse fiscal_quarter, never calendar quarters.');
    await form.getByLabel('Category').selectOption('business_logic');
    await form.getByLabel(/^Tags/).fill('finance, calendar');
    await snap(analyst, 'memory-propose');
    await submit(analyst, form.getByRole('button', { name: 'Propose' }), '/memory/');
    await analyst.getByRole('status').filter({ hasText: 'Proposed: waiting for review.' }).waitFor();
    expect(await analyst.locator('h1').textContent()).toBe(PROPOSAL);
    expect(await analyst.locator('[data-status]').textContent()).toBe('pending');
    proposalId = decodeURIComponent(new URL(analyst.url()).pathname.split('/').pop()!);
    await snap(analyst, 'memory-proposed');
    const pending = await api('GET', '/api/memory?status=pending', portal.analyst.token);
    expect(pending.json.items.map((i: { id: string; title: string }) => [i.id, i.title])).toEqual([[proposalId, PROPOSAL]]);
  });

  it('the analyst votes an approved item up on /memory; the vote shows pressed and is in the JSON', async () => {
    await open(analyst, '/memory?q=refunds');
    const card = analyst.getByRole('article', { name: APPROVED });
    const up = card.getByRole('button', { name: `Vote up: ${APPROVED}` });
    expect(await up.getAttribute('aria-pressed')).toBe('false');
    await submit(analyst, up, '/memory?q=refunds');
    await analyst.getByRole('status').filter({ hasText: 'Your vote is recorded: up.' }).waitFor();
    expect(await card.getByRole('button', { name: `Vote up: ${APPROVED}` }).getAttribute('aria-pressed')).toBe('true');
    expect(await card.locator('[data-score]').textContent()).toBe('1');
    await snap(analyst, 'memory-voted');
    const item = await api('GET', `/api/memory/${approvedId}`, portal.analyst.token);
    expect(item.json.item).toMatchObject({ upvotes: 1, downvotes: 0, my_vote: 1 });
  });

  it('a km_admin approves the proposal on /memory/review, and the analyst then sees it approved', async () => {
    await submit(reviewer, reviewer.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Memory' }), '/memory');
    await submit(reviewer, reviewer.getByRole('link', { name: 'Review the pending items' }), '/memory/review');
    const queued = reviewer.getByRole('article', { name: PROPOSAL });
    await queued.getByLabel(/^Reason/).fill('matches the finance calendar');
    await snap(reviewer, 'memory-review');
    await submit(reviewer, queued.getByRole('button', { name: `Approve: ${PROPOSAL}` }), '/memory/review');
    await reviewer.getByRole('status').filter({ hasText: 'Approved' }).waitFor();
    expect(await reviewer.getByRole('article', { name: PROPOSAL }).count()).toBe(0);
    await snap(reviewer, 'memory-review-approved');
    const audit = await api('GET', `/api/memory/admin/audit?item_id=${proposalId}`, kmAdmin.token);
    expect(audit.json.items[0]).toMatchObject({ action: 'approve', actor_id: kmAdmin.id, reason: 'matches the finance calendar' });

    await open(analyst, `/memory/${proposalId}`);
    expect(await analyst.locator('[data-status]').textContent()).toBe('approved');
    expect(await analyst.getByRole('row').filter({ hasText: 'matches the finance calendar' }).count()).toBe(1);
    await open(analyst, '/memory');
    expect(await analyst.getByRole('article', { name: PROPOSAL }).count()).toBe(1);
    await snap(analyst, 'memory-approved');
  });

  it('axe-core finds no serious or critical violation on /memory, an item page and /memory/review', async () => {
    // A pending item, so the review page has its forms to check.
    await api('POST', '/api/memory', portal.analyst.token, { title: 'Orders grain', content: 'One row per order line.', category: 'data_analysis' });
    // axe-core goes in as an inline <script>: this context alone bypasses the CSP (the others check it holds).
    const page = await (await newContext(browser, portal.t.url, { bypassCSP: true })).newPage();
    await signIn(page, kmAdmin);
    const findings: string[] = [];
    const pages: [string, string][] = [
      ['/memory', 'memory'],
      [`/memory/${approvedId}`, 'memory-item'],
      ['/memory/review', 'memory-review'],
      [`/memory/${approvedId}/edit`, 'memory-edit'],
    ];
    for (const [path, name] of pages) {
      await open(page, path);
      await page.addScriptTag({ path: axePath });
      const results = await page.evaluate(() => (window as unknown as { axe: { run(context: Document): Promise<AxeResults> } }).axe.run(document));
      for (const v of results.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
        findings.push(`${path}: ${v.id} (${v.impact}) ${v.help} on ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      }
      await snap(page, `axe-${name}`);
    }
    expect(findings).toEqual([]);
    await page.context().close();
  });

  it('at 390 px none of the memory pages scrolls sideways', async () => {
    const context = csp.watch(await newContext(browser, portal.t.url, { viewport: { width: 390, height: 844 } }));
    const page = await context.newPage();
    await signIn(page, kmAdmin);
    const problems: string[] = [];
    const pages: [string, string][] = [
      ['/memory', 'memory'],
      [`/memory/${proposalId}`, 'memory-item'],
      ['/memory/review', 'memory-review'],
    ];
    for (const [path, name] of pages) {
      await open(page, path);
      const layout = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
      if (layout.scrollWidth > layout.innerWidth) problems.push(`${path}: ${layout.scrollWidth} px wide in a ${layout.innerWidth} px window`);
      await snap(page, `phone-${name}`);
    }
    expect(problems).toEqual([]);
    await context.close();
  });
});
