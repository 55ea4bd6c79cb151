import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { bootstrap, call, userWithSession } from '../identity/helpers.js';
import { dataHost } from '../data/fixtures.js';
import { browserSession, getPage, postForm, submitForm } from './forms.js';

let t: TestHost;
let admin: string;
let analyst: { id: string; token: string };
let analystCookie: string;
let viewerCookie: string;
let adminCookie: string;
const PASSWORD = 'user-password-1';

beforeAll(async () => {
  ({ t, admin } = await dataHost());
  analyst = await userWithSession(t, admin, 'analyst@example.com', 'analyst');
  await userWithSession(t, admin, 'viewer@example.com', 'viewer');
  // salaries (source hr) is private: only admins read it; orders and customers are public.
  expect((await call(t, 'PUT', '/api/admin/registry/salaries', { token: admin, body: { is_public: false } })).status).toBe(200);
  analystCookie = (await browserSession(t, { email: 'analyst@example.com', password: PASSWORD })).cookie;
  viewerCookie = (await browserSession(t, { email: 'viewer@example.com', password: PASSWORD })).cookie;
  adminCookie = (await browserSession(t)).cookie;
});
afterAll(() => t?.stop());

const ask = (cookie: string, fields: Record<string, string>) => submitForm(t, '/access', '/access/requests', cookie, fields);
const readable = async (token: string) => ((await call(t, 'GET', '/api/catalog/tables', { token })).json.tables as { id: string }[]).map((x) => x.id);
const myRequests = async (token: string) => (await call(t, 'GET', '/api/access-requests/my', { token })).json.requests as Record<string, unknown>[];

describe('/access for a user', () => {
  it('shows the request form, an empty list and no admin queue', async () => {
    const page = await getPage(t, '/access', analystCookie);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('<h1>Access</h1>');
    expect(page.text).toContain(`action="/access/requests"`);
    expect(page.text).toMatch(/<label>Table name <input name="table"/);
    expect(page.text).toContain('You have not asked for access to any table.');
    expect(page.text).not.toContain('Waiting for your decision');
  });

  it('an unknown table is an HTML 404 page and nothing is left pending', async () => {
    const res = await ask(analystCookie, { table: 'no_such_table', reason: 'x' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('no_such_table');
    expect(await myRequests(analyst.token)).toEqual([]);
  });

  it('a table the user can already read is a 409 page', async () => {
    const res = await ask(analystCookie, { table: 'orders' });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('You can already read');
    expect(await myRequests(analyst.token)).toEqual([]);
  });

  it('without the CSRF token the request is refused (403) and not created', async () => {
    const res = await postForm(t, '/access/requests', analystCookie, { table: 'salaries' });
    expect(res.status).toBe(403);
    expect(await myRequests(analyst.token)).toEqual([]);
  });

  it('a private table is requested by name, shown as pending, and a second request is a 409 page', async () => {
    const res = await ask(analystCookie, { table: 'Salaries', reason: 'quarterly report' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/access?notice=requested');
    expect(await myRequests(analyst.token)).toEqual([expect.objectContaining({ table_id: 'salaries', status: 'pending', reason: 'quarterly report' })]);
    const page = await getPage(t, '/access?notice=requested', analystCookie);
    expect(page.text).toContain('Your request was sent.');
    expect(page.text).toContain('<code>salaries</code>');
    expect(page.text).toContain('quarterly report');
    expect(page.text).toMatch(/class="badge warn" data-state="pending">pending</);
    expect(page.text).toContain('not yet');
    const again = await ask(analystCookie, { table: 'salaries' });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('already have a pending request');
  });

  it('a notice code the page does not know shows nothing', async () => {
    const page = await getPage(t, '/access?notice=%3Cb%3Ehacked', analystCookie);
    expect(page.text).not.toContain('class="notice"');
    expect(page.text).not.toContain('hacked');
  });
});

describe('/access for an admin', () => {
  it('only an admin may approve or deny: others get a 403 page and the request stays pending', async () => {
    const [r] = await myRequests(analyst.token);
    for (const verb of ['approve', 'deny']) {
      const res = await submitForm(t, '/access', `/access/requests/${String(r!.id)}/${verb}`, viewerCookie);
      expect(res.status, verb).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
    }
    expect((await myRequests(analyst.token))[0]).toMatchObject({ status: 'pending' });
  });

  it('shows the pending queue with who, which table, reason and when, with approve and deny', async () => {
    const [r] = await myRequests(analyst.token);
    const page = await getPage(t, '/access', adminCookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Waiting for your decision');
    expect(page.text).toMatch(/data-queue-count>1</);
    const row = new RegExp(`<tr data-request="${String(r!.id)}">([\\s\\S]*?)</tr>`).exec(page.text)![1]!;
    expect(row).toContain('analyst@example.com');
    expect(row).toContain('<code>salaries</code>');
    expect(row).toContain('quarterly report');
    expect(row).toMatch(/<time datetime="[^"]+"/);
    expect(row).toContain(`action="/access/requests/${String(r!.id)}/approve"`);
    expect(row).toContain(`action="/access/requests/${String(r!.id)}/deny"`);
    expect(row).toContain('data-confirm=');
  });

  it('approving grants read: the analyst then lists and profiles the table; approving again is a 409 page', async () => {
    expect(await readable(analyst.token)).not.toContain('salaries');
    expect((await call(t, 'GET', '/api/catalog/profile/salaries', { token: analyst.token })).status).toBe(403);
    const [r] = await myRequests(analyst.token);
    const res = await submitForm(t, '/access', `/access/requests/${String(r!.id)}/approve`, adminCookie);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/access?notice=approved');
    expect(await readable(analyst.token)).toContain('salaries');
    const profile = await call(t, 'GET', '/api/catalog/profile/salaries', { token: analyst.token });
    expect(profile.status).toBe(200);
    expect(profile.text).toContain('salary');
    const mine = await getPage(t, '/access', analystCookie);
    expect(mine.text).toMatch(/data-state="approved">approved</);
    const queue = await getPage(t, '/access?notice=approved', adminCookie);
    expect(queue.text).toContain('Request approved');
    expect(queue.text).toContain('No request is waiting.');
    const again = await submitForm(t, '/access', `/access/requests/${String(r!.id)}/approve`, adminCookie);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('already approved');
  });

  it('denying leaves the table unreadable and shows the request as denied', async () => {
    const viewer = await call(t, 'POST', '/auth/token', { body: { email: 'viewer@example.com', password: PASSWORD } });
    expect((await ask(viewerCookie, { table: 'salaries' })).status).toBe(303);
    const [r] = await myRequests(viewer.json.access_token);
    const res = await submitForm(t, '/access', `/access/requests/${String(r!.id)}/deny`, adminCookie);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/access?notice=denied');
    expect(await readable(viewer.json.access_token)).not.toContain('salaries');
    const page = await getPage(t, '/access', viewerCookie);
    expect(page.text).toMatch(/class="badge bad" data-state="denied">denied</);
    expect(page.text).toContain('none given');
  });

  it('an unknown request id is a 404 page', async () => {
    const res = await submitForm(t, '/access', '/access/requests/no-such-id/approve', adminCookie);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
  });
});

describe('/access paging', () => {
  it('pages the user’s own requests with the pager, newest first', async () => {
    expect((await call(t, 'PUT', '/api/admin/registry/customers', { token: admin, body: { is_public: false } })).status).toBe(200);
    expect((await ask(analystCookie, { table: 'customers' })).status).toBe(303);
    const first = await getPage(t, '/access?limit=1', analystCookie);
    expect(first.status).toBe(200);
    expect(first.text).toContain('<code>customers</code>');
    expect(first.text).not.toContain('<code>salaries</code>');
    expect(first.text).toMatch(/<nav class="pager"[\s\S]*1–1 of 2/);
    expect(first.text).toContain('href="/access?offset=1&amp;limit=1"');
    const second = await getPage(t, '/access?offset=1&limit=1', analystCookie);
    expect(second.text).toContain('<code>salaries</code>');
    expect(second.text).toContain('rel="prev"');
    expect((await getPage(t, '/access?limit=0', analystCookie)).status).toBe(400);
  });
});

describe('/access with catalog.list_restricted', () => {
  let r: TestHost;
  let rAdmin: string;
  let asker: { id: string; token: string };
  let askerCookie: string;

  beforeAll(async () => {
    r = await startTestHost({ config: { catalog: { list_restricted: true } } });
    rAdmin = await bootstrap(r);
    for (const table of [
      { name: 'Payroll 2024', is_public: false },
      { name: 'board_minutes', is_public: false },
      { name: 'open_data', is_public: true },
    ]) {
      expect((await call(r, 'POST', '/api/admin/register-table', { token: rAdmin, body: table })).status).toBe(201);
    }
    // An admin renamed it after registration: its id stays board_minutes.
    expect((await call(r, 'PUT', '/api/admin/registry/board_minutes', { token: rAdmin, body: { name: 'Meeting Notes' } })).status).toBe(200);
    asker = await userWithSession(r, rAdmin, 'asker@example.com', 'analyst');
    askerCookie = (await browserSession(r, { email: 'asker@example.com', password: PASSWORD })).cookie;
  });
  afterAll(() => r?.stop());

  it('offers the tables the user cannot read by name, and a request by name reaches the right table', async () => {
    const page = await getPage(r, '/access?table=Payroll%202024', askerCookie);
    expect(page.status).toBe(200);
    const options = [...page.text.matchAll(/<option value="([^"]+)"/g)].map((m) => m[1]);
    expect(options.sort()).toEqual(['Meeting Notes', 'Payroll 2024']);
    expect(page.text).toContain('<option value="Payroll 2024" selected>');
    expect((await submitForm(r, '/access', '/access/requests', askerCookie, { table: 'Payroll 2024' })).status).toBe(303);
    expect((await submitForm(r, '/access', '/access/requests', askerCookie, { table: 'Meeting Notes' })).status).toBe(303);
    const mine = (await call(r, 'GET', '/api/access-requests/my', { token: asker.token })).json.requests as { table_id: string; table_name: string }[];
    expect(mine.map((x) => [x.table_id, x.table_name]).sort()).toEqual([
      ['board_minutes', 'Meeting Notes'],
      ['payroll_2024', 'Payroll 2024'],
    ]);
    const after = await getPage(r, '/access', askerCookie);
    expect(after.text).toContain('<code>Payroll 2024</code>');
  });
});
