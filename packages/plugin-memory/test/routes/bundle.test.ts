import type { AuthenticatedFetch, TestHost } from '@aida/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, json, startMemoryHost, storeOf } from './helpers.js';

let t: TestHost;
let viewer: AuthenticatedFetch;
const ids: Record<string, string> = {};
const BUDGET = 100;

/** An item of exactly `tokens` tokens (4 characters each over title + content), last changed `daysAgo`. */
async function item(name: string, o: { tokens: number; daysAgo: number; action?: 'approve' | 'mandate' | 'reject' | null; votes?: number; expired?: boolean }) {
  const at = new Date(Date.now() - o.daysAgo * DAY);
  const store = storeOf(t, () => at);
  const title = `Rule ${name}`;
  const created = await store.items.create({
    title,
    content: 'x'.repeat(o.tokens * 4 - title.length),
    category: 'workflow',
    ownerId: 'u-proposer',
    expiresAt: o.expired ? new Date(Date.now() - DAY) : null,
  });
  if (o.action !== null) await store.governance.act('u-admin', o.action ?? 'approve', created.id);
  for (let v = 0; v < (o.votes ?? 0); v++) await store.votes.vote(`u-voter-${v}`, created.id, 1);
  ids[name] = created.id;
}

beforeAll(async () => {
  t = await startMemoryHost({ bundle: { max_tokens: BUDGET } });
  viewer = await t.asUser('viewer');
  await item('required-huge', { tokens: 500, daysAgo: 700, action: 'mandate' });
  await item('top', { tokens: 40, daysAgo: 0, votes: 2 });
  await item('second', { tokens: 40, daysAgo: 1 });
  await item('too-big-now', { tokens: 40, daysAgo: 10 });
  await item('small', { tokens: 10, daysAgo: 50 });
  // Older than a year: recency 0, so both rank 0 and their net votes decide.
  await item('old-unvoted', { tokens: 10, daysAgo: 400 });
  await item('old-voted', { tokens: 10, daysAgo: 420, votes: 1 });
  await item('pending', { tokens: 5, daysAgo: 0, action: null });
  await item('rejected', { tokens: 5, daysAgo: 0, action: 'reject' });
  await item('expired', { tokens: 5, daysAgo: 0, expired: true });
});
afterAll(() => t?.stop());

describe('GET /api/memory/bundle', () => {
  it('has the required items always, outside the budget, then approved ones ranked by confidence × recency within it', async () => {
    const b = await json(viewer, 'GET', '/api/memory/bundle', 200);
    expect(b.required.map((i: any) => i.id)).toEqual([ids['required-huge']]);
    // top (votes) > second > [too-big-now skipped: 80 + 40 > 100] > small > old-voted (tie broken by votes); old-unvoted no longer fits.
    expect(b.approved.map((i: any) => i.id)).toEqual([ids.top, ids.second, ids.small, ids['old-voted']]);
    expect(b.token_budget).toBe(BUDGET);
    expect(b.token_estimate).toBe(500 + 40 + 40 + 10 + 10);
    expect(b.approved[0]).toEqual({
      id: ids.top,
      title: 'Rule top',
      content: expect.stringMatching(/^x+$/),
      category: 'workflow',
      updated_at: expect.any(String),
    });
    expect(Object.keys(b.required[0]).sort()).toEqual(['category', 'content', 'id', 'title', 'updated_at']);
  });

  it('leaves out pending, rejected and expired items', async () => {
    const text = JSON.stringify(await json(viewer, 'GET', '/api/memory/bundle', 200));
    for (const name of ['pending', 'rejected', 'expired', 'too-big-now', 'old-unvoted']) expect(text, name).not.toContain(ids[name]);
  });

  it('follows governance: a revoked item leaves, a mandated one moves to required', async () => {
    const admin = await t.asAdmin();
    await json(admin, 'POST', '/api/memory/admin/revoke', 200, { item_id: ids.top });
    await json(admin, 'POST', '/api/memory/admin/mandate', 200, { item_id: ids['old-unvoted'] });
    const b = await json(viewer, 'GET', '/api/memory/bundle', 200);
    expect(b.required.map((i: any) => i.id).sort()).toEqual([ids['required-huge'], ids['old-unvoted']].sort());
    // With top gone there is room for too-big-now again.
    expect(b.approved.map((i: any) => i.id)).toEqual([ids.second, ids['too-big-now'], ids.small, ids['old-voted']]);
    expect(b.approved.reduce((n: number, i: any) => n + Math.ceil((i.title.length + i.content.length) / 4), 0)).toBeLessThanOrEqual(BUDGET);
  });
});
