import type { AuthenticatedFetch, TestHost } from '@aida/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, propose, startMemoryHost } from './helpers.js';

let t: TestHost;
let kmAdmin: AuthenticatedFetch;
let analyst: AuthenticatedFetch;
let viewer: AuthenticatedFetch;

beforeAll(async () => {
  t = await startMemoryHost();
  kmAdmin = await t.asUser('km_admin');
  analyst = await t.asUser('analyst');
  viewer = await t.asUser('viewer');
});
afterAll(() => t?.stop());

const act = (action: string, item_id: string, status = 200, reason?: string) =>
  json(kmAdmin, 'POST', `/api/memory/admin/${action}`, status, { item_id, reason });

describe('governance', () => {
  it('an analyst and a viewer get 403 on every admin route; a km_admin may use them', async () => {
    const id = await propose(analyst, 'Churn is 90 days without an order');
    const routes: [string, string, unknown?][] = [
      ['POST', '/api/memory/admin/approve', { item_id: id }],
      ['POST', '/api/memory/admin/reject', { item_id: id }],
      ['POST', '/api/memory/admin/mandate', { item_id: id }],
      ['POST', '/api/memory/admin/revoke', { item_id: id }],
      ['POST', '/api/memory/admin/edit', { item_id: id, title: 'x' }],
      ['POST', '/api/memory/admin/batch', { item_ids: [id], action: 'approve' }],
      ['GET', '/api/memory/admin/pending'],
      ['GET', '/api/memory/admin/audit'],
    ];
    for (const who of [analyst, viewer]) {
      for (const [method, path, payload] of routes) {
        const res = await who(path, { method, body: payload === undefined ? undefined : JSON.stringify(payload) });
        expect(res.status, `${who.user.role} ${method} ${path}`).toBe(403);
      }
    }
    expect((await json(viewer, 'GET', `/api/memory/${id}`, 200)).item.status).toBe('pending');
    const pending = await json(kmAdmin, 'GET', '/api/memory/admin/pending', 200);
    expect(pending.items.map((i: any) => i.id)).toContain(id);
  });

  it('approve, mandate, revoke each write an audit row with who, why, before and after', async () => {
    const id = await propose(analyst, 'Net revenue excludes VAT');
    const approved = await act('approve', id, 200, 'checked with finance');
    expect(approved.item).toMatchObject({ id, status: 'approved', required: false });
    const mandated = await act('mandate', id);
    expect(mandated.item).toMatchObject({ status: 'approved', required: true, confidence: 1 });
    const revoked = await act('revoke', id, 200, 'VAT rules changed');
    expect(revoked.item).toMatchObject({ status: 'revoked', required: false });

    const audit = await json(kmAdmin, 'GET', `/api/memory/admin/audit?item_id=${id}`, 200);
    expect(audit.items.map((e: any) => e.action)).toEqual(['revoke', 'mandate', 'approve', 'propose']);
    const [revoke, mandate, approve] = audit.items;
    expect(approve).toMatchObject({ actor_id: kmAdmin.user.id, item_id: id, reason: 'checked with finance' });
    expect(approve.before).toMatchObject({ status: 'pending', required: false });
    expect(approve.after).toMatchObject({ status: 'approved', required: false });
    expect(mandate.before).toMatchObject({ status: 'approved', required: false });
    expect(mandate.after).toMatchObject({ status: 'approved', required: true });
    expect(revoke).toMatchObject({ reason: 'VAT rules changed' });
    expect(revoke.before).toMatchObject({ status: 'approved', required: true });
    expect(revoke.after).toMatchObject({ status: 'revoked', required: false });
    expect(Date.parse(revoke.at)).toBeGreaterThanOrEqual(Date.parse(approve.at));
    // The item page shows the same history, oldest first.
    const page = await json(viewer, 'GET', `/api/memory/${id}`, 200);
    expect(page.history.map((e: any) => e.action)).toEqual(['propose', 'approve', 'mandate', 'revoke']);
  });

  it('an action that does not apply to the status is a 409 and changes nothing', async () => {
    const id = await propose(analyst, 'Sessions time out after 30 minutes');
    expect((await act('revoke', id, 409)).code).toBe('MEMORY_TRANSITION_INVALID');
    await act('approve', id);
    expect((await act('approve', id, 409)).message).toMatch(/Cannot approve .*: it is approved/);
    expect((await act('reject', id, 409)).code).toBe('MEMORY_TRANSITION_INVALID');
    await act('mandate', id);
    expect((await act('mandate', id, 409)).message).toMatch(/required and approved/);
    expect((await json(kmAdmin, 'GET', `/api/memory/admin/audit?item_id=${id}`, 200)).items.map((e: any) => e.action)).toEqual([
      'mandate',
      'approve',
      'propose',
    ]);
    expect((await act('approve', 'no-such-item', 404)).code).toBe('MEMORY_ITEM_NOT_FOUND');
  });

  it('reject takes a proposal out of the review queue; approve brings it back', async () => {
    const id = await propose(analyst, 'Test accounts have ids below 1000');
    await act('reject', id, 200, 'not true any more');
    expect((await json(kmAdmin, 'GET', '/api/memory/admin/pending', 200)).items.map((i: any) => i.id)).not.toContain(id);
    expect((await act('approve', id)).item.status).toBe('approved');
  });

  it('edit changes the text, keeps the status and is audited', async () => {
    const id = await propose(analyst, 'Old title', 'old content', 'workflow', ['a']);
    await act('approve', id);
    const edited = await json(kmAdmin, 'POST', '/api/memory/admin/edit', 200, { item_id: id, title: 'New title', tags: ['b', 'b', 'c'], reason: 'typo' });
    expect(edited.item).toMatchObject({ title: 'New title', content: 'old content', category: 'workflow', tags: ['b', 'c'], status: 'approved' });
    const [entry] = (await json(kmAdmin, 'GET', `/api/memory/admin/audit?item_id=${id}&action=edit`, 200)).items;
    expect(entry).toMatchObject({ action: 'edit', reason: 'typo', before: { title: 'Old title', tags: ['a'] }, after: { title: 'New title' } });
    const nothing = await json(kmAdmin, 'POST', '/api/memory/admin/edit', 400, { item_id: id });
    expect(nothing.message).toMatch(/at least one of title, content, category, tags/);
    expect((await json(kmAdmin, 'POST', '/api/memory/admin/edit', 400, { item_id: id, status: 'approved' })).code).toBe('AIDA_INPUT_INVALID');
  });

  it('batch applies one action to many items, reports those it does not apply to, and refuses other actions', async () => {
    const a = await propose(analyst, 'Batch one');
    const b = await propose(analyst, 'Batch two');
    const c = await propose(analyst, 'Batch three');
    await act('reject', c);
    const out = await json(kmAdmin, 'POST', '/api/memory/admin/batch', 200, { item_ids: [a, b, c, 'ghost'], action: 'approve', reason: 'weekly review' });
    expect(out.action).toBe('approve');
    expect(out.done).toEqual([a, b, c]);
    expect(out.failed).toEqual([{ item_id: 'ghost', code: 'MEMORY_ITEM_NOT_FOUND', message: expect.any(String) }]);
    const again = await json(kmAdmin, 'POST', '/api/memory/admin/batch', 200, { item_ids: [a], action: 'reject' });
    expect(again).toMatchObject({ done: [], failed: [{ item_id: a, code: 'MEMORY_TRANSITION_INVALID' }] });
    for (const id of [a, b, c]) expect((await json(viewer, 'GET', `/api/memory/${id}`, 200)).item.status).toBe('approved');
    const audited = await json(kmAdmin, 'GET', '/api/memory/admin/audit?action=approve', 200);
    expect(
      audited.items
        .filter((e: any) => e.reason === 'weekly review')
        .map((e: any) => e.item_id)
        .sort(),
    ).toEqual([a, b, c].sort());

    for (const action of ['delete', 'edit', 'expire', '']) {
      const bad = await json(kmAdmin, 'POST', '/api/memory/admin/batch', 400, { item_ids: [a], action });
      expect(bad.message).toMatch(/action must be one of approve, reject, mandate, revoke/);
    }
    expect((await json(kmAdmin, 'POST', '/api/memory/admin/batch', 400, { item_ids: [], action: 'approve' })).detail.issues[0].field).toBe('item_ids');
  });

  it('the audit pages newest first', async () => {
    const first = await json(kmAdmin, 'GET', '/api/memory/admin/audit?limit=3', 200);
    expect(first).toMatchObject({ count: 3, limit: 3, offset: 0 });
    expect(first.total).toBeGreaterThan(10);
    const second = await json(kmAdmin, 'GET', '/api/memory/admin/audit?limit=3&offset=3', 200);
    const times = [...first.items, ...second.items].map((e: any) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((x, y) => y - x));
    expect(new Set([...first.items, ...second.items].map((e: any) => e.id)).size).toBe(6);
  });
});
