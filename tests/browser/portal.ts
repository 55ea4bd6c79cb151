import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { TestHost } from '@aida/host/testing';
import { dataHost } from '../../packages/host/test/data/fixtures.js';
import { ADMIN, call, userWithSession } from '../../packages/host/test/identity/helpers.js';
import { newContext, type CspWatch } from './browser.js';

/** Someone who signs in through the login form. */
export interface Person {
  email: string;
  password: string;
  /** A session token for checking state through the JSON API. */
  token: string;
  id: string;
}

export interface Portal {
  t: TestHost;
  admin: Person;
  viewer: Person;
  analyst: Person;
}

// userWithSession gives every user this password.
const USER_PASSWORD = 'user-password-1';

/**
 * One host per test file: sources shop (orders, customers — public) and hr (salaries, made
 * private as an admin would), the bootstrap admin, a viewer and an analyst.
 */
export async function portalHost(): Promise<Portal> {
  const { t, admin } = await dataHost();
  const me = await call(t, 'GET', '/auth/me', { token: admin });
  const person = async (email: string, role: string): Promise<Person> => ({
    email,
    password: USER_PASSWORD,
    ...(await userWithSession(t, admin, email, role)),
  });
  const viewer = await person('viewer@example.com', 'viewer');
  const analyst = await person('analyst@example.com', 'analyst');
  expect((await call(t, 'PUT', '/api/admin/registry/salaries', { token: admin, body: { is_public: false } })).status).toBe(200);
  return { t, admin: { email: ADMIN.email, password: ADMIN.password, token: admin, id: me.json.id }, viewer, analyst };
}

/** Recomputes a table's profile now (what the table page's charts are drawn from). */
export async function refreshProfile(portal: Portal, table: string): Promise<void> {
  const res = await call(portal.t, 'POST', `/api/catalog/profile/${table}/refresh`, { token: portal.admin.token });
  expect(res.status, res.text).toBeLessThan(300);
}

/** Signs in on the login page (opened at `loginPath`, which may carry `next=`) as a person would. */
export async function signIn(page: Page, who: Pick<Person, 'email' | 'password'>, loginPath = '/login'): Promise<void> {
  await page.goto(loginPath);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await Promise.all([page.waitForURL((url) => url.pathname !== '/login'), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/** A page in a browser profile of its own, signed in as `who`; its console is watched for CSP reports. */
export async function signedInPage(browser: Browser, portal: Portal, who: Person, csp: CspWatch): Promise<Page> {
  const context = csp.watch(await newContext(browser, portal.t.url));
  const page = await context.newPage();
  await signIn(page, who);
  return page;
}

/** Opens `path` and expects the page to answer 200 (an error page would otherwise pass unnoticed). */
export async function open(page: Page, path: string): Promise<void> {
  const res = await page.goto(path);
  expect(res?.status(), `GET ${path}`).toBe(200);
}
