import type { AuthenticatedFetch, TestHost } from '@aida/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, propose, startMemoryHost } from '../routes/helpers.js';
import { cardOf, errorStatus, getPage, person, postForm, submit, type Person } from './helpers.js';

let t: TestHost;
let admin: AuthenticatedFetch;
let analyst: Person;
let kmAdmin: Person;

beforeAll(async () => {
  t = await startMemoryHost();
  admin = await t.asAdmin();
  [analyst, kmAdmin] = [await person(t, 'analyst'), await person(t, 'km_admin')];
});
afterAll(() => t?.stop());

const statusOf = async (id: string) => (await json(admin, 'GET', `/api/memory/${id}`, 200)).item.status;
const auditOf = async (id: string) => (await json(admin, 'GET', `/api/memory/admin/audit?item_id=${encodeURIComponent(id)}`, 200)).items;

describe('/memory/review', () => {
  it('is for km_admins and up: an analyst gets the 403 page and no nav link to it', async () => {
    const denied = await getPage(t, '/memory/review', analyst);
    expect(denied.status).toBe(403);
    expect(errorStatus(denied.text)).toBe(403);
    expect((await getPage(t, '/memory', analyst)).text).not.toContain('href="/memory/review"');
    expect((await getPage(t, '/memory', kmAdmin)).text).toContain('href="/memory/review"');
  });

  it('lists the pending queue oldest first; approving one changes its status and writes an audit row with the reason', async () => {
    const first = await propose(analyst.api, 'Queue first', 'Oldest proposal.');
    const second = await propose(analyst.api, 'Queue second', 'Newer proposal.');
    const page = await getPage(t, '/memory/review', kmAdmin);
    expect(page.status).toBe(200);
    expect(page.text.indexOf(`data-item="${first}"`)).toBeLessThan(page.text.indexOf(`data-item="${second}"`));
    expect(cardOf(page.text, first)).toContain(analyst.email);
    expect(cardOf(page.text, first)).toContain(`href="/memory/${first}/edit"`);

    const res = await submit(t, '/memory/review', `/memory/${first}/govern`, kmAdmin, { action: 'approve', from: 'review', reason: 'checked with finance' });
    expect(res.status).toBe(303);
    expect(res.location).toBe('/memory/review?notice=approve');
    expect(await statusOf(first)).toBe('approved');
    const [row] = await auditOf(first);
    expect(row).toMatchObject({ action: 'approve', actor_id: kmAdmin.id, reason: 'checked with finance' });
    expect(row.before.status).toBe('pending');
    expect(row.after.status).toBe('approved');
    const after = await getPage(t, res.location!, kmAdmin);
    expect(after.text).toContain('Approved: the item is in the bundles.');
    expect(after.text).not.toContain(`data-item="${first}"`);
    expect(after.text).toContain(`data-item="${second}"`);

    // The item's page shows the decision in its history, by whom (named: the km_admin's name is their email here).
    const itemPage = await getPage(t, `/memory/${first}`, analyst);
    expect(itemPage.text).toContain(`<td>${kmAdmin.email}</td>`);
    expect(itemPage.text).toMatch(
      /<tr data-action="approve">[\s\S]*?<td>[^<]+@example\.com<\/td>[\s\S]*?status pending → approved[\s\S]*?checked with finance/,
    );
  });

  it('mandates and rejects from the queue; an action the status does not allow is a 409 page that changes nothing', async () => {
    const mandated = await propose(analyst.api, 'Always filter test accounts', 'Exclude is_test = true.');
    const rejected = await propose(analyst.api, 'Gossip', 'Not knowledge.');
    await submit(t, '/memory/review', `/memory/${mandated}/govern`, kmAdmin, { action: 'mandate', from: 'review' });
    await submit(t, '/memory/review', `/memory/${rejected}/govern`, kmAdmin, { action: 'reject', from: 'review', reason: '' });
    expect((await json(admin, 'GET', `/api/memory/${mandated}`, 200)).item).toMatchObject({ status: 'approved', required: true });
    expect(await statusOf(rejected)).toBe('rejected');
    expect((await auditOf(rejected))[0]).toMatchObject({ action: 'reject', reason: null });

    const again = await submit(t, `/memory/${rejected}`, `/memory/${rejected}/govern`, kmAdmin, { action: 'reject' });
    expect(again.status).toBe(409);
    expect(errorStatus(again.text)).toBe(409);
    expect(await auditOf(rejected)).toHaveLength(2); // propose + reject
    const analystTry = await submit(t, '/memory', `/memory/${rejected}/govern`, analyst, { action: 'approve' });
    expect(analystTry.status).toBe(403);
    expect(await statusOf(rejected)).toBe('rejected');
  });

  it('batch: one action on the checked items; those it does not apply to are counted and left alone', async () => {
    const a = await propose(analyst.api, 'Batch A');
    const b = await propose(analyst.api, 'Batch B');
    const done = await propose(analyst.api, 'Batch already approved');
    await json(admin, 'POST', '/api/memory/admin/approve', 200, { item_id: done });
    const res = await submit(t, '/memory/review', '/memory/review/batch', kmAdmin, [
      ['item_ids', a],
      ['item_ids', b],
      ['item_ids', done],
      ['action', 'approve'],
      ['reason', 'weekly review'],
    ]);
    expect(res.status).toBe(303);
    expect(res.location).toBe('/memory/review?action=approve&done=2&failed=1&notice=batch');
    for (const id of [a, b]) {
      expect(await statusOf(id)).toBe('approved');
      expect((await auditOf(id))[0]).toMatchObject({ action: 'approve', actor_id: kmAdmin.id, reason: 'weekly review' });
    }
    expect(await auditOf(done)).toHaveLength(2); // propose + the API's approve: the batch wrote nothing for it
    const page = await getPage(t, res.location!, kmAdmin);
    expect(page.text).toContain('Approved 2 items. 1 item could not be changed in its current status.');

    // One checkbox is one value, not a list; none is a 400 page.
    const c = await propose(analyst.api, 'Batch C');
    await submit(t, '/memory/review', '/memory/review/batch', kmAdmin, { item_ids: c, action: 'reject' });
    expect(await statusOf(c)).toBe('rejected');
    const none = await submit(t, '/memory/review', '/memory/review/batch', kmAdmin, { action: 'approve' });
    expect(none.status).toBe(400);
    expect(none.text).toContain('Choose at least one item');
    const forged = await postForm(t, '/memory/review/batch', kmAdmin, { item_ids: a, action: 'revoke' });
    expect(forged.status).toBe(403);
    expect(await statusOf(a)).toBe('approved');
  });

  it('edit: the edit page saves the text with an audit row; the status stays', async () => {
    const id = await propose(analyst.api, 'Edit me', 'Old text', 'workflow', ['old']);
    const form = await getPage(t, `/memory/${id}/edit`, kmAdmin);
    expect(form.status).toBe(200);
    expect(form.text).toContain('value="Edit me"');
    expect(form.text).toContain('>Old text</textarea>');
    expect((await getPage(t, `/memory/${id}/edit`, analyst)).status).toBe(403);
    const res = await submit(t, `/memory/${id}/edit`, `/memory/${id}/edit`, kmAdmin, {
      title: 'Edited title',
      content: 'New text',
      category: 'debugging',
      tags: 'new, tags',
      reason: 'clearer',
    });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`/memory/${id}?notice=edited`);
    expect((await json(admin, 'GET', `/api/memory/${id}`, 200)).item).toMatchObject({
      title: 'Edited title',
      content: 'New text',
      category: 'debugging',
      tags: ['new', 'tags'],
      status: 'pending',
    });
    expect((await auditOf(id))[0]).toMatchObject({ action: 'edit', actor_id: kmAdmin.id, reason: 'clearer' });
    expect((await getPage(t, res.location!, kmAdmin)).text).toContain('Saved.');
  });
});
