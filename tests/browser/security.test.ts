import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { call } from '../../packages/host/test/identity/helpers.js';
import { CspWatch, describeInBrowser, launchBrowser, newContext, snap } from './browser.js';
import { portalHost, signedInPage, signIn, type Portal } from './portal.js';

let portal: Portal;
let browser: Browser;
const csp = new CspWatch();

/** Every page of the portal an admin can open (the table page on a public table). */
const PAGES = [
  '/dashboard',
  '/catalog',
  '/catalog/orders',
  '/access',
  '/account/tokens',
  '/admin',
  '/admin/tables',
  '/admin/users',
  '/admin/permissions',
  '/admin/tokens',
  '/admin/audit',
  '/admin/jobs',
];

/** The directives of a Content-Security-Policy header, by name. */
function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name!.toLowerCase(), values]),
  );
}

/** Submits the form holding `button` with its hidden _csrf field removed, as a forged cross-site post would arrive. */
async function submitWithoutCsrf(page: Page, button: ReturnType<Page['getByRole']>): Promise<{ status: number; type: string; text: string }> {
  const removed = await button.evaluate((b) => {
    const fields = b.closest('form')!.querySelectorAll('input[name="_csrf"]');
    fields.forEach((f) => f.remove());
    return fields.length;
  });
  expect(removed).toBe(1);
  const [answer] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), button.click()]);
  await page.waitForLoadState();
  return { status: answer.status(), type: (await answer.headerValue('content-type')) ?? '', text: await page.locator('body').innerText() };
}

describeInBrowser('portal security in the browser', () => {
  beforeAll(async () => {
    [portal, browser] = await Promise.all([portalHost(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.t.stop();
  });
  afterEach(() => expect(csp.take(), 'CSP violations reported in the console').toEqual([]));

  it('refuses a form posted without its CSRF token with a 403 page, and changes nothing', async () => {
    const page = await signedInPage(browser, portal, portal.viewer, csp);
    const mint = await submitWithoutCsrf(page, page.getByRole('button', { name: /Create a token for da/ }));
    expect(mint.status).toBe(403);
    expect(mint.type).toMatch(/^text\/html/);
    expect(mint.text).toContain('security token');
    await snap(page, 'csrf-refused');
    const tokens = await call(portal.t, 'GET', '/auth/tokens', { token: portal.viewer.token });
    expect(tokens.json.tokens).toEqual([]);

    // Signing out is a form too: without its token the session stays. (/auth answers JSON, even to this form.)
    await page.goto('/dashboard');
    const signOut = await submitWithoutCsrf(page, page.getByRole('button', { name: 'Sign out' }));
    expect(signOut.status).toBe(403);
    await page.goto('/dashboard');
    expect(new URL(page.url()).pathname).toBe('/dashboard');
  });

  it('answers every page with a CSP without inline scripts, no framing and nosniff; the session cookie is HttpOnly and SameSite=Lax', async () => {
    const page = await signedInPage(browser, portal, portal.admin, csp);
    for (const path of ['/login', ...PAGES, '/no-such-page']) {
      const res = (await page.goto(path))!;
      const headers = await res.allHeaders();
      const policy = directives(headers['content-security-policy'] ?? '');
      const scripts = policy.get('script-src') ?? policy.get('default-src');
      expect(scripts, `${path}: script-src`).toBeDefined();
      expect(scripts, `${path}: script-src`).not.toContain("'unsafe-inline'");
      expect(scripts, `${path}: script-src`).not.toContain("'unsafe-eval'");
      const noFraming = policy.get('frame-ancestors')?.join(' ') === "'none'" || headers['x-frame-options']?.toUpperCase() === 'DENY';
      expect(noFraming, `${path}: frame-ancestors 'none' or X-Frame-Options DENY`).toBe(true);
      expect(headers['x-content-type-options'], path).toBe('nosniff');
    }
    const session = (await page.context().cookies()).find((c) => c.name === 'access_token');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
  });

  it('Chromium enforces the policy: an injected inline script does not run and a foreign page cannot frame the portal', async () => {
    const watch = new CspWatch();
    const context = watch.watch(await newContext(browser, portal.t.url));
    const page = await context.newPage();
    await signIn(page, portal.viewer);
    const ran = await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'document.body.dataset.injected = "yes"';
      document.body.append(script);
      return document.body.dataset.injected ?? 'no';
    });
    expect(ran).toBe('no');
    await expect.poll(() => watch.violations.some((v) => v.includes('script-src'))).toBe(true);

    const foreign = await context.newPage();
    await foreign.setContent(`<iframe src="${portal.t.url}/dashboard"></iframe>`);
    await expect.poll(() => watch.violations.some((v) => v.includes('frame-ancestors'))).toBe(true);
    const framed = foreign.frames().find((f) => f !== foreign.mainFrame());
    // Chromium shows its own error page in the frame instead of the portal.
    expect(framed?.url()).not.toContain(portal.t.url);
    await context.close();
  });

  it('after sign-in follows next= only to a path on this host', async () => {
    const context = csp.watch(await newContext(browser, portal.t.url));
    for (const evil of ['//evil.example', 'https://evil.example/dashboard', '/\\evil.example']) {
      const page = await context.newPage();
      await signIn(page, portal.viewer, `/login?next=${encodeURIComponent(evil)}`);
      expect(page.url(), evil).toBe(`${portal.t.url}/dashboard`);
      await page.close();
      await context.clearCookies();
    }
    // A same-host next= is honoured.
    const page = await context.newPage();
    await page.goto('/dashboard');
    expect(new URL(page.url()).pathname).toBe('/login');
    await signIn(page, portal.admin, new URL(page.url()).pathname + new URL(page.url()).search);
    expect(page.url()).toBe(`${portal.t.url}/dashboard`);
    await context.clearCookies();
    await signIn(page, portal.admin, `/login?next=${encodeURIComponent('/admin')}`);
    expect(page.url()).toBe(`${portal.t.url}/admin`);
    await snap(page, 'admin-index');
    await context.close();
  });

  it('reports no CSP violation on any page, each of which opens (200) for an admin', async () => {
    const page = await signedInPage(browser, portal, portal.admin, csp);
    const failed: string[] = [];
    for (const path of PAGES) {
      const res = await page.goto(path);
      await page.waitForLoadState('load');
      if (res?.status() !== 200) failed.push(`${path}: ${res?.status()}`);
      await snap(page, `tour${path.replaceAll('/', '-')}`);
    }
    expect(failed).toEqual([]);
    expect(csp.take()).toEqual([]);
  });
});
