import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { CspWatch, describeInBrowser, launchBrowser, snap } from './browser.js';
import { open, portalHost, signedInPage, type Portal } from './portal.js';

let portal: Portal;
let browser: Browser;
const csp = new CspWatch();

/** What the host says about a bearer token. */
async function whoHolds(token: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${portal.t.url}/auth/me`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: res.status === 200 ? await res.json() : undefined };
}

describeInBrowser('signing in and tokens for da', () => {
  beforeAll(async () => {
    [portal, browser] = await Promise.all([portalHost(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.t.stop();
  });
  afterEach(() => expect(csp.take(), 'CSP violations reported in the console').toEqual([]));

  it('signs in on the login page, lands on the dashboard and mints a token there that works on GET /auth/me', async () => {
    const page = await signedInPage(browser, portal, portal.viewer, csp);
    expect(new URL(page.url()).pathname).toBe('/dashboard');
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    expect(await page.locator('[data-role]').textContent()).toBe('viewer');
    expect(await page.getByText(`da login --server ${portal.t.url}`).count()).toBe(1);
    await snap(page, 'dashboard-viewer');

    await page.getByRole('button', { name: /Create a token for da/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Your new token' }).waitFor();
    const token = (await page.locator('#new-token[data-token]').textContent())!.trim();
    expect(token.length).toBeGreaterThan(20);
    // portal.js (the only script, same-origin) ran under the CSP: it reveals the copy buttons.
    await page.getByRole('button', { name: 'Copy' }).first().waitFor();
    await snap(page, 'token-created');

    const me = await whoHolds(token);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: portal.viewer.email, role: 'viewer', token_type: 'pat' });
  });

  it('lists my tokens on /account/tokens, creates one there and revokes it', async () => {
    const page = await signedInPage(browser, portal, portal.analyst, csp);
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/account/tokens')), page.getByRole('link', { name: 'Tokens' }).click()]);
    expect(answer.status()).toBe(200);
    await page.getByRole('heading', { level: 1, name: /token/i }).waitFor();
    await snap(page, 'account-tokens');

    await page.getByLabel('Name', { exact: true }).fill('laptop');
    await page.getByRole('button', { name: /Create/ }).click();
    const token = (await page.locator('#new-token[data-token]').textContent())!.trim();
    expect((await whoHolds(token)).status).toBe(200);
    await snap(page, 'account-token-created');

    await open(page, '/account/tokens');
    const row = page.getByRole('row').filter({ hasText: 'laptop' });
    expect(await row.count()).toBe(1);
    // The revoke form asks first (data-confirm); a person says yes.
    page.once('dialog', (dialog) => void dialog.accept());
    await Promise.all([page.waitForURL('**/account/tokens**'), row.getByRole('button', { name: /Revoke/ }).click()]);
    await snap(page, 'account-token-revoked');
    expect((await whoHolds(token)).status).toBe(401);
  });

  it('signs out with the menu button: the dashboard then asks to sign in again', async () => {
    const page = await signedInPage(browser, portal, portal.viewer, csp);
    await Promise.all([page.waitForURL('**/login**'), page.getByRole('button', { name: 'Sign out' }).click()]);
    await page.goto('/dashboard');
    expect(new URL(page.url()).pathname).toBe('/login');
    await snap(page, 'login');
  });
});
