import { expect } from 'vitest';
import type { TestHost } from '@aida/host/testing';
import { ADMIN } from '../identity/helpers.js';

/** Page tests talk to the host as a browser does: a session cookie, HTML accepted, urlencoded form posts with the page's CSRF token. */

/** Signs in through the login form and returns the cookie header and where the browser was sent. */
export async function browserSession(
  t: TestHost,
  who: { email: string; password: string } = ADMIN,
  next?: string,
): Promise<{ cookie: string; location: string }> {
  const res = await t.request('/auth/password/login/web', {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: who.email, password: who.password, ...(next === undefined ? {} : { next }) }).toString(),
  });
  expect(res.status).toBe(302);
  return { cookie: res.headers.get('set-cookie')!.split(';')[0]!, location: res.headers.get('location')! };
}

/** The CSRF token of the first form on a page. */
export function csrfOf(page: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!m) throw new Error('no CSRF field on the page');
  return m[1]!;
}

/** GET a page with the session cookie; the answer's text is read. */
export async function getPage(t: TestHost, path: string, cookie?: string): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await t.request(path, { redirect: 'manual', headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) } });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** POST a form as a browser does (no redirect followed). */
export function postForm(t: TestHost, path: string, cookie: string, fields: Record<string, string>) {
  return t.request(path, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

/** GET `pagePath`, then post `fields` with its CSRF token to `action`. */
export async function submitForm(t: TestHost, pagePath: string, action: string, cookie: string, fields: Record<string, string> = {}) {
  const page = await getPage(t, pagePath, cookie);
  expect(page.status).toBe(200);
  return postForm(t, action, cookie, { _csrf: csrfOf(page.text), ...fields });
}
