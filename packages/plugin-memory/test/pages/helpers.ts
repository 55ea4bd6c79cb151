import type { Role } from '@aida/core';
import type { AuthenticatedFetch, TestHost } from '@aida/host/testing';
import { expect } from 'vitest';

/**
 * Page tests talk to the host as a browser does: a session cookie from the login form, HTML
 * accepted, urlencoded form posts carrying the page's CSRF token (as the host's own page tests
 * do in packages/host/test/portal/forms.ts). Each person also has a Bearer fetch for checking
 * state through the JSON API.
 */
export interface Person {
  api: AuthenticatedFetch;
  cookie: string;
  id: string;
  email: string;
}

const PASSWORD = 'page-password-1';

/** A new user with `role`, signed in through the login form. */
export async function person(t: TestHost, role: Role): Promise<Person> {
  const api = await t.asUser(role, { password: PASSWORD });
  const res = await t.request('/auth/password/login/web', {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: api.user.email, password: PASSWORD }).toString(),
  });
  expect(res.status).toBe(302);
  return { api, cookie: res.headers.get('set-cookie')!.split(';')[0]!, id: api.user.id, email: api.user.email };
}

export interface PageAnswer {
  status: number;
  text: string;
  location: string | null;
}

/** GET a page with the session cookie (no redirect followed). */
export async function getPage(t: TestHost, path: string, who: Person): Promise<PageAnswer> {
  const res = await t.request(path, { redirect: 'manual', headers: { accept: 'text/html', cookie: who.cookie } });
  return { status: res.status, text: await res.text(), location: res.headers.get('location') };
}

/** The session's CSRF token, as every page's forms carry it. */
export function csrfOf(page: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!m) throw new Error('no CSRF field on the page');
  return m[1]!;
}

/** POST a form as a browser does; `fields` may repeat a name (checkboxes). */
export async function postForm(t: TestHost, path: string, who: Person, fields: Record<string, string> | [string, string][]): Promise<PageAnswer> {
  const res = await t.request(path, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: who.cookie, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, text: await res.text(), location: res.headers.get('location') };
}

/** Opens `page` (which must answer 200), then posts `fields` with its CSRF token to `action`. */
export async function submit(
  t: TestHost,
  page: string,
  action: string,
  who: Person,
  fields: Record<string, string> | [string, string][] = {},
): Promise<PageAnswer> {
  const opened = await getPage(t, page, who);
  expect(opened.status, `GET ${page}`).toBe(200);
  const list = Array.isArray(fields) ? fields : Object.entries(fields);
  return postForm(t, action, who, [['_csrf', csrfOf(opened.text)], ...list]);
}

/** The status an HTML error page reports (the host's error.njk), or undefined for another page. */
export const errorStatus = (page: string): number | undefined => {
  const m = /data-error-status="(\d+)"/.exec(page);
  return m ? Number(m[1]) : undefined;
};

/** An item's card (article) on a list page. */
export function cardOf(page: string, id: string): string {
  const start = page.indexOf(`data-item="${id}"`);
  if (start < 0) return '';
  return page.slice(start, page.indexOf('</article>', start));
}
