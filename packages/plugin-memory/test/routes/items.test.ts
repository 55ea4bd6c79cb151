import type { AuthenticatedFetch, TestHost } from '@aida/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, propose, startMemoryHost } from './helpers.js';

let t: TestHost;
let admin: AuthenticatedFetch;
let analyst: AuthenticatedFetch;
let viewer: AuthenticatedFetch;

beforeAll(async () => {
  t = await startMemoryHost();
  admin = await t.asAdmin();
  analyst = await t.asUser('analyst');
  viewer = await t.asUser('viewer');
});
afterAll(() => t?.stop());

describe('browsing and proposing knowledge items', () => {
  it('an analyst proposes an item: 201, pending, confidence 0.5, readable by a viewer with its history', async () => {
    const created = await json(analyst, 'POST', '/api/memory', 201, {
      title: 'Revenue is net of refunds',
      content: 'Always subtract refunds from gross revenue in the finance mart.',
      category: 'business_logic',
      tags: ['finance', 'revenue'],
    });
    expect(created).toEqual({ id: expect.any(String), status: 'pending' });
    const got = await json(viewer, 'GET', `/api/memory/${created.id}`, 200);
    expect(got.item).toMatchObject({
      id: created.id,
      title: 'Revenue is net of refunds',
      status: 'pending',
      required: false,
      personal: false,
      owner_id: analyst.user.id,
      confidence: 0.5,
      tags: ['finance', 'revenue'],
      source_users: [analyst.user.email],
      source_type: 'user_proposal',
      upvotes: 0,
      downvotes: 0,
      score: 0,
      my_vote: 0,
    });
    expect(got.history).toHaveLength(1);
    expect(got.history[0]).toMatchObject({ action: 'propose', actor_id: analyst.user.id, item_id: created.id, before: null });
    expect(got.history[0].after.title).toBe('Revenue is net of refunds');
  });

  it('a viewer cannot propose (403), and a bad proposal is a 400 naming the field', async () => {
    const res = await viewer('/api/memory', { method: 'POST', body: JSON.stringify({ title: 'x', content: 'y', category: 'workflow' }) });
    expect(res.status).toBe(403);
    const bad = await json(analyst, 'POST', '/api/memory', 400, { title: 'x', content: 'y', category: 'gossip' });
    expect(bad.code).toBe('AIDA_INPUT_INVALID');
    expect(bad.detail.issues[0].field).toBe('category');
    expect(bad.message).toMatch(/category must be one of data_analysis/);
  });

  it('lists with status, category and search filters, paged like the host lists', async () => {
    const a = await propose(analyst, 'Orders table grain', 'One row per order line, not per order.', 'data_analysis');
    const b = await propose(analyst, 'Retry the CRM API', 'The CRM API rate-limits at 10 requests a second.', 'api_integration');
    const c = await propose(analyst, 'Slow joins on events', 'Filter events by day before joining to orders.', 'performance');
    await json(admin, 'POST', '/api/memory/admin/approve', 200, { item_id: b });

    const approved = await json(viewer, 'GET', '/api/memory?status=approved', 200);
    expect(approved.items.map((i: any) => i.id)).toEqual([b]);
    const perf = await json(viewer, 'GET', '/api/memory?category=performance', 200);
    expect(perf.items.map((i: any) => i.id)).toEqual([c]);
    // Every word, case-insensitive, in the title or the content.
    const search = await json(viewer, 'GET', `/api/memory?search=${encodeURIComponent('ORDER line')}`, 200);
    expect(search.items.map((i: any) => i.id)).toEqual([a]);
    const wildcard = await json(viewer, 'GET', `/api/memory?search=${encodeURIComponent('%')}`, 200);
    expect(wildcard.total).toBe(0);

    const all = await json(viewer, 'GET', '/api/memory', 200);
    expect(all.total).toBe(4);
    const page = await json(viewer, 'GET', '/api/memory?limit=2&offset=1', 200);
    expect(page).toMatchObject({ count: 2, total: 4, limit: 2, offset: 1 });
    expect(page.items.map((i: any) => i.id)).toEqual(all.items.slice(1, 3).map((i: any) => i.id));
    const beyond = await json(viewer, 'GET', '/api/memory?offset=10', 200);
    expect(beyond).toMatchObject({ items: [], count: 0, total: 4 });
    expect((await json(viewer, 'GET', '/api/memory?limit=0', 400)).detail.issues[0].field).toBe('limit');
    expect((await json(viewer, 'GET', '/api/memory?status=mandatory', 400)).detail.issues[0].field).toBe('status');
  });

  it('an unknown item is a 404 with the memory code', async () => {
    const res = await json(viewer, 'GET', '/api/memory/no-such-item', 404);
    expect(res.code).toBe('MEMORY_ITEM_NOT_FOUND');
  });

  it('counts items by status and category', async () => {
    const stats = await json(viewer, 'GET', '/api/memory/stats', 200);
    expect(stats.total).toBe(4);
    expect(stats.by_status).toEqual({ pending: 3, approved: 1, rejected: 0, revoked: 0, expired: 0 });
    expect(stats.by_category).toEqual({ business_logic: 1, data_analysis: 1, api_integration: 1, performance: 1 });
    expect(stats.required).toBe(0);
  });
});

describe('voting', () => {
  it('a viewer votes 1, changes to -1, and the tallies and my-votes follow; one vote per user', async () => {
    const id = await propose(analyst, 'Fiscal year starts in April');
    expect(await json(viewer, 'POST', `/api/memory/${id}/vote`, 200, { vote: 1 })).toEqual({ item_id: id, upvotes: 1, downvotes: 0, score: 1, my_vote: 1 });
    expect(await json(analyst, 'POST', `/api/memory/${id}/vote`, 200, { vote: 1 })).toMatchObject({ upvotes: 2, downvotes: 0, score: 2 });
    expect(await json(viewer, 'POST', `/api/memory/${id}/vote`, 200, { vote: -1 })).toEqual({ item_id: id, upvotes: 1, downvotes: 1, score: 0, my_vote: -1 });
    expect(await json(viewer, 'POST', `/api/memory/${id}/vote`, 200, { vote: -1 })).toMatchObject({ upvotes: 1, downvotes: 1 });

    const item = (await json(viewer, 'GET', `/api/memory/${id}`, 200)).item;
    expect(item).toMatchObject({ upvotes: 1, downvotes: 1, score: 0, my_vote: -1 });
    const listed = (await json(analyst, 'GET', '/api/memory', 200)).items.find((i: any) => i.id === id);
    expect(listed).toMatchObject({ upvotes: 1, downvotes: 1, my_vote: 1 });

    const mine = await json(viewer, 'GET', '/api/memory/my-votes', 200);
    expect(mine.votes).toEqual([{ item_id: id, vote: -1, voted_at: expect.any(String) }]);
  });

  it('a vote of 2, 0 or "1" is a 400 that says what is allowed; an unknown item is a 404', async () => {
    const id = await propose(analyst, 'Use UTC in reports');
    for (const vote of [2, 0, '1', null]) {
      const bad = await json(viewer, 'POST', `/api/memory/${id}/vote`, 400, { vote });
      expect(bad.message).toMatch(/vote must be 1 \(up\) or -1 \(down\)/);
    }
    expect((await json(viewer, 'POST', `/api/memory/${id}/vote`, 400, {})).detail.issues[0].field).toBe('vote');
    expect((await json(viewer, 'POST', '/api/memory/nope/vote', 404, { vote: 1 })).code).toBe('MEMORY_ITEM_NOT_FOUND');
    expect((await json(viewer, 'GET', `/api/memory/${id}`, 200)).item.upvotes).toBe(0);
  });

  it('votes move confidence (computed, never given)', async () => {
    const id = await propose(analyst, 'Staging tables are truncated nightly');
    const before = (await json(viewer, 'GET', `/api/memory/${id}`, 200)).item.confidence;
    await json(viewer, 'POST', `/api/memory/${id}/vote`, 200, { vote: 1 });
    await json(admin, 'POST', `/api/memory/${id}/vote`, 200, { vote: 1 });
    const after = (await json(viewer, 'GET', `/api/memory/${id}`, 200)).item.confidence;
    expect(before).toBe(0.5);
    expect(after).toBeCloseTo(0.6, 3);
  });
});

describe('the API document', () => {
  it('lists the memory routes with their inputs, answers and error codes', async () => {
    const doc = await json(viewer, 'GET', '/api/openapi.json', 200);
    for (const path of [
      '/api/memory',
      '/api/memory/{id}',
      '/api/memory/{id}/vote',
      '/api/memory/bundle',
      '/api/memory/admin/batch',
      '/api/memory/admin/audit',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(JSON.stringify(doc.paths['/api/memory/{id}/vote'])).toContain('MEMORY_ITEM_NOT_FOUND');
    expect(JSON.stringify(doc.paths['/api/memory/admin/approve'])).toContain('MEMORY_TRANSITION_INVALID');
  });
});
