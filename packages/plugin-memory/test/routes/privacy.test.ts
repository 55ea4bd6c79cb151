import type { AuthenticatedFetch, TestHost } from '@aida/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, propose, startMemoryHost, storeOf } from './helpers.js';

let t: TestHost;
let owner: AuthenticatedFetch;
let other: AuthenticatedFetch;
let admin: AuthenticatedFetch;
let kmAdmin: AuthenticatedFetch;
let personalId: string;
let sharedId: string;

const SECRET_TITLE = 'My own shortcut for the churn query';

beforeAll(async () => {
  t = await startMemoryHost();
  admin = await t.asAdmin();
  kmAdmin = await t.asUser('km_admin');
  owner = await t.asUser('analyst');
  other = await t.asUser('analyst');
  sharedId = await propose(owner, 'Shared rule about churn');
  await json(admin, 'POST', '/api/memory/admin/approve', 200, { item_id: sharedId });
  // No route makes an item personal: the repository does, as the extraction or a later route would.
  const store = storeOf(t);
  const personal = await store.items.create({
    title: SECRET_TITLE,
    content: 'Join churn_v2 on the private scratch schema.',
    category: 'workflow',
    ownerId: owner.user.id,
    personal: true,
  });
  personalId = personal.id;
  // Even approved (and mandated), a personal item is never shared.
  await t.host.systemDb!.run("UPDATE memory_items SET status = 'approved', required = true WHERE id = ?", [personalId]);
});
afterAll(() => t?.stop());

describe('personal items are a hard privacy boundary', () => {
  it('its owner sees it in the list and on its page', async () => {
    const mine = await json(owner, 'GET', '/api/memory', 200);
    expect(mine.items.map((i: any) => i.id)).toContain(personalId);
    expect((await json(owner, 'GET', `/api/memory/${personalId}`, 200)).item).toMatchObject({ personal: true, owner_id: owner.user.id });
  });

  it('nobody else, admins included, lists, searches, reads or votes on it (404 as if unknown)', async () => {
    for (const who of [other, kmAdmin, admin]) {
      const list = await json(who, 'GET', '/api/memory', 200);
      expect(list.items.map((i: any) => i.id)).toEqual([sharedId]);
      expect(list.total).toBe(1);
      expect((await json(who, 'GET', `/api/memory?search=${encodeURIComponent('shortcut')}`, 200)).total).toBe(0);
      expect((await json(who, 'GET', '/api/memory?status=approved', 200)).items.map((i: any) => i.id)).toEqual([sharedId]);
      expect((await json(who, 'GET', `/api/memory/${personalId}`, 404)).code).toBe('MEMORY_ITEM_NOT_FOUND');
      expect((await json(who, 'POST', `/api/memory/${personalId}/vote`, 404, { vote: 1 })).code).toBe('MEMORY_ITEM_NOT_FOUND');
      expect(JSON.stringify(await json(who, 'GET', '/api/memory/my-votes', 200))).not.toContain(personalId);
    }
    const [{ n }] = await t.host.systemDb!.all<{ n: number }>('SELECT count(*) AS n FROM memory_votes WHERE item_id = ?', [personalId]);
    expect(Number(n)).toBe(0);
  });

  it('admins cannot govern it, and neither the review queue nor the audit shows it', async () => {
    expect((await json(kmAdmin, 'POST', '/api/memory/admin/revoke', 404, { item_id: personalId })).code).toBe('MEMORY_ITEM_NOT_FOUND');
    const batch = await json(kmAdmin, 'POST', '/api/memory/admin/batch', 200, { item_ids: [personalId], action: 'revoke' });
    expect(batch.failed).toEqual([{ item_id: personalId, code: 'MEMORY_ITEM_NOT_FOUND', message: expect.any(String) }]);
    expect((await json(kmAdmin, 'POST', '/api/memory/admin/edit', 404, { item_id: personalId, title: 'leak' })).code).toBe('MEMORY_ITEM_NOT_FOUND');
    const audit = await json(admin, 'GET', '/api/memory/admin/audit', 200);
    expect(JSON.stringify(audit)).not.toContain(SECRET_TITLE);
    expect((await json(admin, 'GET', `/api/memory/admin/audit?item_id=${personalId}`, 200)).total).toBe(0);
    expect(JSON.stringify(await json(admin, 'GET', '/api/memory/admin/pending', 200))).not.toContain(personalId);
  });

  it('stats do not count it, for its owner either', async () => {
    for (const who of [owner, other, admin]) {
      const stats = await json(who, 'GET', '/api/memory/stats', 200);
      expect(stats).toMatchObject({ total: 1, required: 0, by_status: { approved: 1 } });
      expect(stats.by_category.workflow).toBeUndefined();
    }
  });

  it("is in nobody's bundle, not even its owner's", async () => {
    for (const who of [owner, other, admin]) {
      const bundle = await json(who, 'GET', '/api/memory/bundle', 200);
      expect(bundle.required).toEqual([]);
      expect(bundle.approved.map((i: any) => i.id)).toEqual([sharedId]);
      expect(JSON.stringify(bundle)).not.toContain(SECRET_TITLE);
    }
  });
});
