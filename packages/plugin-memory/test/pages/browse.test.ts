import type { AuthenticatedFetch, TestHost } from '@aida/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, propose, startMemoryHost } from '../routes/helpers.js';
import { cardOf, csrfOf, errorStatus, getPage, person, postForm, submit, type Person } from './helpers.js';

let t: TestHost;
let admin: AuthenticatedFetch;
let viewer: Person;
let analyst: Person;
let kmAdmin: Person;
let approvedId: string;
let pendingId: string;

beforeAll(async () => {
  t = await startMemoryHost();
  admin = await t.asAdmin();
  [viewer, analyst, kmAdmin] = [await person(t, 'viewer'), await person(t, 'analyst'), await person(t, 'km_admin')];
  approvedId = await propose(analyst.api, 'Revenue is net of refunds', 'Subtract refunds from gross revenue.', 'business_logic', ['finance']);
  await json(admin, 'POST', '/api/memory/admin/approve', 200, { item_id: approvedId });
  pendingId = await propose(analyst.api, 'Orders grain is the order line', 'One row per order line.', 'data_analysis');
});
afterAll(() => t?.stop());

const itemOf = async (who: Person, id: string) => (await json(who.api, 'GET', `/api/memory/${id}`, 200)).item;

describe('/memory: browse, search and filter', () => {
  it('lists approved items for everyone, with the nav entry; only km_admins choose another status', async () => {
    const page = await getPage(t, '/memory', viewer);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<a href="\/memory" aria-current="page">Memory<\/a>/);
    const card = cardOf(page.text, approvedId);
    expect(card).toContain('Revenue is net of refunds');
    expect(card).toContain('business logic');
    expect(card).toContain('<code>finance</code>');
    expect(card).toMatch(/data-confidence>50%</);
    expect(page.text).not.toContain(pendingId);
    expect(page.text).not.toContain('name="status"');
    // A viewer asking for pending items still gets the approved ones only.
    expect((await getPage(t, '/memory?status=pending', viewer)).text).not.toContain(pendingId);

    const all = await getPage(t, '/memory?status=all', kmAdmin);
    expect(all.text).toContain(`data-item="${pendingId}"`);
    expect(all.text).toContain(`data-item="${approvedId}"`);
    expect(all.text).toContain('name="status"');
    const pending = await getPage(t, '/memory?status=pending', kmAdmin);
    expect(pending.text).toContain(`data-item="${pendingId}"`);
    expect(pending.text).not.toContain(`data-item="${approvedId}"`);
  });

  it('searches words and filters by category; an unknown category is a 400 page', async () => {
    expect((await getPage(t, '/memory?q=REFUNDS', viewer)).text).toContain(`data-item="${approvedId}"`);
    const miss = await getPage(t, '/memory?q=churn&category=', viewer);
    expect(miss.status).toBe(200);
    expect(miss.text).toContain('No item matches these filters.');
    expect((await getPage(t, '/memory?category=workflow', viewer)).text).not.toContain(`data-item="${approvedId}"`);
    expect((await getPage(t, '/memory?category=business_logic', viewer)).text).toContain(`data-item="${approvedId}"`);
    const bad = await getPage(t, '/memory?category=gossip', viewer);
    expect(bad.status).toBe(400);
    expect(errorStatus(bad.text)).toBe(400);
  });

  it('pages with the pager, keeping the filters', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await propose(analyst.api, `Paged rule ${i}`, `Paged content ${i}`, 'workflow'));
    await json(admin, 'POST', '/api/memory/admin/batch', 200, { item_ids: ids, action: 'approve' });
    const first = await getPage(t, '/memory?category=workflow&limit=2', viewer);
    expect(first.text.match(/<article /g)).toHaveLength(2);
    expect(first.text).toContain('href="/memory?category=workflow&amp;offset=2&amp;limit=2"');
    const second = await getPage(t, '/memory?category=workflow&offset=2&limit=2', viewer);
    expect(second.text.match(/<article /g)).toHaveLength(1);
    expect(second.text).toContain('rel="prev"');
  });
});

describe('/memory: voting', () => {
  it('a vote changes the JSON votes and comes back to the same filters and page, with a notice', async () => {
    const res = await submit(t, '/memory?q=refunds', `/memory/${approvedId}/vote`, viewer, {
      vote: '1',
      from: 'list',
      q: 'refunds',
      category: 'business_logic',
      offset: '0',
    });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`/memory?q=refunds&category=business_logic&notice=voted_up#item-${approvedId}`);
    expect(await itemOf(viewer, approvedId)).toMatchObject({ upvotes: 1, downvotes: 0, score: 1, my_vote: 1 });
    const back = await getPage(t, res.location!.split('#')[0]!, viewer);
    expect(back.text).toContain('Your vote is recorded: up.');
    const card = cardOf(back.text, approvedId);
    expect(card).toMatch(/value="1" class="small" aria-pressed="true"/);
    expect(card).toMatch(/value="-1" class="small secondary" aria-pressed="false"/);
    expect(card).toContain('you voted up');
    expect(card).toContain('Vote up: Revenue is net of refunds');

    // Voting again changes the vote; from the item's page it goes back there.
    const down = await submit(t, `/memory/${approvedId}`, `/memory/${approvedId}/vote`, viewer, { vote: '-1', from: 'item' });
    expect(down.location).toBe(`/memory/${approvedId}?notice=voted_down`);
    expect(await itemOf(viewer, approvedId)).toMatchObject({ upvotes: 0, downvotes: 1, score: -1, my_vote: -1 });
    // Someone else's vote is theirs: the viewer's stays down.
    await submit(t, '/memory', `/memory/${approvedId}/vote`, analyst, { vote: '1' });
    expect(await itemOf(viewer, approvedId)).toMatchObject({ upvotes: 1, downvotes: 1, my_vote: -1 });
  });

  it('refuses a vote that is not 1 or -1 (400), an unknown item (404) and a post without the CSRF token (403)', async () => {
    const page = await getPage(t, '/memory', viewer);
    const csrf = csrfOf(page.text);
    const bad = await postForm(t, `/memory/${approvedId}/vote`, viewer, { _csrf: csrf, vote: '2' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('vote must be 1 (up) or -1 (down)');
    const unknown = await postForm(t, '/memory/no-such-item/vote', viewer, { _csrf: csrf, vote: '1' });
    expect(unknown.status).toBe(404);
    expect(errorStatus(unknown.text)).toBe(404);
    const before = await itemOf(viewer, approvedId);
    const forged = await postForm(t, `/memory/${approvedId}/vote`, viewer, { vote: '1' });
    expect(forged.status).toBe(403);
    expect(await itemOf(viewer, approvedId)).toEqual(before);
  });
});

describe('/memory: proposing', () => {
  it('an analyst proposes an item: pending, owned by them, and their browser lands on its page', async () => {
    const res = await submit(t, '/memory', '/memory/propose', analyst, {
      title: 'Fiscal year starts in February',
      content: 'Quarter Q1 is February to April.\nUse fiscal_quarter, never calendar quarters.',
      category: 'business_logic',
      tags: ' finance , calendar,, ',
    });
    expect(res.status).toBe(303);
    const m = /^\/memory\/([^?]+)\?notice=proposed$/.exec(res.location ?? '');
    expect(m, res.location ?? '').not.toBeNull();
    const id = decodeURIComponent(m![1]!);
    const pending = await json(analyst.api, 'GET', '/api/memory?status=pending', 200);
    expect(pending.items.find((i: { id: string }) => i.id === id)).toMatchObject({
      title: 'Fiscal year starts in February',
      status: 'pending',
      tags: ['finance', 'calendar'],
      owner_id: analyst.id,
      source_users: [analyst.email],
    });
    const landed = await getPage(t, res.location!, analyst);
    expect(landed.text).toContain('Proposed: waiting for review.');
    expect(landed.text).toContain('Quarter Q1 is February to April.<br>Use fiscal_quarter');
  });

  it('a viewer sees no propose form, and their post is a 403 page that stores nothing', async () => {
    expect((await getPage(t, '/memory', viewer)).text).not.toContain('action="/memory/propose"');
    expect((await getPage(t, '/memory', analyst)).text).toContain('action="/memory/propose"');
    const before = (await json(admin, 'GET', '/api/memory/stats', 200)).total;
    const res = await submit(t, '/memory', '/memory/propose', viewer, { title: 'Viewer idea', content: 'x', category: 'workflow' });
    expect(res.status).toBe(403);
    expect(errorStatus(res.text)).toBe(403);
    expect((await json(admin, 'GET', '/api/memory/stats', 200)).total).toBe(before);
  });

  it('bad input is a 400 page naming the field; a post without the CSRF token is refused', async () => {
    const bad = await submit(t, '/memory', '/memory/propose', analyst, { title: ' ', content: 'Something', category: 'workflow' });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/<strong>title<\/strong>: Give the item a title/);
    const badCategory = await submit(t, '/memory', '/memory/propose', analyst, { title: 'A', content: 'B', category: 'gossip' });
    expect(badCategory.status).toBe(400);
    const before = (await json(admin, 'GET', '/api/memory/stats', 200)).total;
    const forged = await postForm(t, '/memory/propose', analyst, { title: 'Forged', content: 'No token', category: 'workflow' });
    expect(forged.status).toBe(403);
    expect((await json(admin, 'GET', '/api/memory/stats', 200)).total).toBe(before);
  });
});
