import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { ADMIN, bootstrap, call, userWithSession } from '../identity/helpers.js';
import { browserSession, getPage, submitForm } from './forms.js';

type AuditItem = { id: string; timestamp: string; user_id: string | null; action: string; resource: string; status: number };

const RUN_ACTION = 'POST /admin/jobs/run';
const ANALYST = 'analyst@example.com';
// The analyst's API calls: enough for more than one default page (50).
const ANALYST_CALLS = 55;

let t: TestHost;
let admin: string;
let cookie: string;
let analyst: { id: string; token: string };
let adminId: string;

beforeAll(async () => {
  t = await startTestHost();
  admin = await bootstrap(t);
  ({ cookie } = await browserSession(t));
  adminId = (await call(t, 'GET', '/auth/me', { token: admin })).json.id;
  analyst = await userWithSession(t, admin, ANALYST, 'analyst');
  for (let i = 0; i < ANALYST_CALLS; i++) expect((await call(t, 'GET', '/api/catalog/tables', { token: analyst.token })).status).toBe(200);
  // An action done on a page: the admin runs a job from /admin/jobs.
  const run = await submitForm(t, '/admin/jobs', '/admin/jobs/run', cookie, { name: 'aida:sync' });
  expect(run.status).toBe(303);
  await sleep(50);
});
afterAll(() => t?.stop());

async function auditJson(q: Record<string, string>): Promise<{ items: AuditItem[]; total: number }> {
  const res = await call(t, 'GET', `/api/admin/audit?${new URLSearchParams(q).toString()}`, { token: admin });
  expect(res.status).toBe(200);
  return res.json;
}

async function auditPage(q: Record<string, string> = {}) {
  const qs = new URLSearchParams(q).toString();
  return getPage(t, `/admin/audit${qs ? `?${qs}` : ''}`, cookie);
}

/** The audit rows on a page: id, user cell text, action. */
function rowsOf(page: string): { id: string; user: string; action: string; status: string }[] {
  return [...page.matchAll(/<tr data-audit="([^"]+)">([\s\S]*?)<\/tr>/g)].map((m) => {
    const cells = [...m[2]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '').trim());
    return { id: m[1]!, user: cells[1]!, action: cells[2]!, status: cells[4]! };
  });
}

describe('/admin/audit', () => {
  it('lists the page action (the POST from /admin/jobs) with the user’s email, status and time', async () => {
    const page = await auditPage();
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const run = rowsOf(page.text).find((r) => r.action === RUN_ACTION);
    expect(run).toMatchObject({ user: ADMIN.email, status: '303' });
    const json = await auditJson({ action: RUN_ACTION });
    expect(json.items[0]!.user_id).toBe(adminId);
    const row = new RegExp(`<tr data-audit="${json.items[0]!.id}">[\\s\\S]*?</tr>`).exec(page.text)![0];
    expect(row).toContain('<span class="badge ok">303</span>');
    expect(row).toMatch(/<time datetime="[^"]+" title="[^"]+ UTC">/);
    expect(row).toContain('<code>/admin/jobs/run</code>');
    // The filter form offers every user by email.
    expect(page.text).toContain(`<option value="${analyst.id}">${ANALYST}</option>`);
    expect(page.text).toContain('aria-current="page">Audit log<');
  });

  it('filters by user: only that user’s rows, as many as the JSON API finds', async () => {
    const page = await auditPage({ user_id: analyst.id });
    const rows = rowsOf(page.text);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.user === ANALYST)).toBe(true);
    const json = await auditJson({ user_id: analyst.id });
    // Exactly the analyst's API calls (signing in was anonymous, creating the account the admin's).
    expect(json.total).toBe(ANALYST_CALLS);
    expect(page.text).toContain(`<span data-total>${json.total}</span>`);
    expect(page.text).toContain(`<option value="${analyst.id}" selected>${ANALYST}</option>`);
  });

  it('filters by action: only that action’s rows, and the unfiltered list is longer', async () => {
    const all = await auditPage();
    const page = await auditPage({ action: RUN_ACTION });
    const rows = rowsOf(page.text);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.action).toBe(RUN_ACTION);
    expect(rowsOf(all.text).length).toBeGreaterThan(rows.length);
    expect(page.text).toContain(`value="${RUN_ACTION}"`);
    // The action in a row links to that filter.
    expect(all.text).toContain(`href="/admin/audit?action=${encodeURIComponent(RUN_ACTION)}"`);
    // User and action together.
    expect(rowsOf((await auditPage({ action: RUN_ACTION, user_id: analyst.id })).text)).toHaveLength(0);
  });

  it('filters by UTC day: until includes the whole day, days before or after find nothing', async () => {
    const run = (await auditJson({ action: RUN_ACTION })).items[0]!;
    const day = run.timestamp.slice(0, 10);
    const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const before = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    expect(rowsOf((await auditPage({ action: RUN_ACTION, since: day, until: day })).text)).toHaveLength(1);
    expect(rowsOf((await auditPage({ action: RUN_ACTION, until: day })).text)).toHaveLength(1);
    expect(rowsOf((await auditPage({ action: RUN_ACTION, since: next })).text)).toHaveLength(0);
    expect(rowsOf((await auditPage({ action: RUN_ACTION, until: before })).text)).toHaveLength(0);
    const page = await auditPage({ since: day, until: day });
    expect(page.text).toContain(`name="since" value="${day}"`);
    expect(page.text).toContain(`name="until" value="${day}"`);
  });

  it('empty fields (the form sent as is) mean no filter', async () => {
    const page = await auditPage({ user_id: '', action: '', since: '', until: '' });
    expect(page.status).toBe(200);
    expect(rowsOf(page.text).length).toBe(50);
  });

  it('bad dates are a 400 page that says what is wrong', async () => {
    for (const [q, says] of [
      [{ since: '2025-02-30' }, 'since: must be a day written YYYY-MM-DD'],
      [{ until: 'yesterday' }, 'until: must be a day written YYYY-MM-DD'],
      [{ since: '2025-03-02', until: '2025-03-01' }, 'until: is before since'],
    ] as const) {
      const page = await auditPage(q);
      expect(page.status).toBe(400);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(page.text).toContain(says);
    }
  });

  it('pages 50 rows by default, with links that keep the filters', async () => {
    const total = (await auditJson({ user_id: analyst.id })).total;
    const first = await auditPage({ user_id: analyst.id });
    const firstRows = rowsOf(first.text);
    expect(firstRows).toHaveLength(50);
    expect(first.text).toContain(`1–50 of ${total}`);
    const nextHref = `/admin/audit?user_id=${analyst.id}&amp;offset=50&amp;limit=50`;
    expect(first.text).toContain(`href="${nextHref}"`);
    expect(first.text).not.toContain('rel="prev"');

    const second = await getPage(t, nextHref.replaceAll('&amp;', '&'), cookie);
    const secondRows = rowsOf(second.text);
    expect(secondRows).toHaveLength(total - 50);
    expect(secondRows.every((r) => r.user === ANALYST)).toBe(true);
    expect(secondRows.some((r) => firstRows.some((f) => f.id === r.id))).toBe(false);
    expect(second.text).toContain(`href="/admin/audit?user_id=${analyst.id}&amp;offset=0&amp;limit=50"`);

    // The same rows, in the same order, as the JSON API's pages.
    const json = await auditJson({ user_id: analyst.id, limit: '3', offset: '4' });
    const small = rowsOf((await auditPage({ user_id: analyst.id, limit: '3', offset: '4' })).text);
    expect(small.map((r) => r.id)).toEqual(json.items.map((i) => i.id));
    expect((await auditPage({ limit: '0' })).status).toBe(400);
  });

  it('is for admins only: others get the HTML 403 page', async () => {
    const page = await call(t, 'GET', '/admin/audit', { token: analyst.token, headers: { accept: 'text/html' } });
    expect(page.status).toBe(403);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).not.toContain('data-audit');
  });
});
