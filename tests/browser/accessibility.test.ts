import { createRequire } from 'node:module';
import type { AxeResults } from 'axe-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInBrowser, launchBrowser, newContext, snap } from './browser.js';
import { demoHost, profileDemoTable, type DemoHost } from './demo-host.js';
import { signIn } from './portal.js';

const axePath = createRequire(import.meta.url).resolve('axe-core');

let demo: DemoHost;
let browser: Browser;
let page: Page;

/** A violation as a person fixing it needs it: the rule, why, and where. */
interface Finding {
  page: string;
  rule: string;
  impact: string;
  help: string;
  nodes: string[];
}

/**
 * Runs axe-core on the page as it is and returns its serious and critical violations. The
 * script goes in as an inline <script>, which the portal's CSP forbids: this context alone
 * bypasses the CSP (the other test files check that it holds).
 */
async function seriousViolations(path: string): Promise<Finding[]> {
  const res = await page.goto(path);
  expect(res?.status(), path).toBe(200);
  await page.addScriptTag({ path: axePath });
  const results = await page.evaluate(() => (window as unknown as { axe: { run(context: Document): Promise<AxeResults> } }).axe.run(document));
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      page: path,
      rule: v.id,
      impact: v.impact!,
      help: `${v.help} (${v.helpUrl})`,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''} — ${n.html.slice(0, 160)}`),
    }));
}

/** Checks `paths` and prints every finding before failing, so one run shows all there is to fix. */
async function expectNoSeriousViolations(paths: string[]): Promise<void> {
  const findings: Finding[] = [];
  for (const path of paths) {
    findings.push(...(await seriousViolations(path)));
    await snap(page, `axe${path.replace(/[/?=&]+/g, '-')}`);
  }
  if (findings.length) console.error(`axe-core found serious or critical violations:\n${JSON.stringify(findings, null, 2)}`);
  expect(findings.map((f) => `${f.page}: ${f.rule} (${f.impact}) on ${f.nodes.length} element(s)`)).toEqual([]);
}

describeInBrowser('accessibility (axe-core, demo data)', () => {
  beforeAll(async () => {
    [demo, browser] = await Promise.all([demoHost(), launchBrowser()]);
    await profileDemoTable(demo, 'orders');
    const context = await newContext(browser, demo.url, { bypassCSP: true });
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('finds no serious or critical violation on the sign-in page', async () => {
    await expectNoSeriousViolations(['/login']);
  });

  it('finds no serious or critical violation on the dashboard, the catalog and a table page with charts', async () => {
    await signIn(page, demo.admin);
    await expectNoSeriousViolations(['/dashboard', '/catalog', '/catalog?q=order_date', '/catalog/orders']);
  });

  it('finds no serious or critical violation on the access, token and admin pages', async () => {
    await expectNoSeriousViolations([
      '/access',
      '/account/tokens',
      '/admin',
      '/admin/tables',
      '/admin/tables/orders',
      '/admin/users',
      '/admin/permissions',
      '/admin/tokens',
      '/admin/audit',
      '/admin/jobs',
    ]);
  });
});
