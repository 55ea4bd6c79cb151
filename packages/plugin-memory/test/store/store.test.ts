import type { TestHost } from '@aida/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, startMemoryHost, storeOf } from '../routes/helpers.js';
import type { MemoryStore } from '../../src/store/index.js';

let t: TestHost;
let store: MemoryStore;

beforeAll(async () => {
  t = await startMemoryHost();
  store = storeOf(t);
});
afterAll(() => t?.stop());

const note = (user: string, sha = `${user}-sha`) => ({ user_id: user, sha256: sha });
const history = async (id: string) => (await store.audit.history(id)).map((e) => e.action);

describe('upserts from extraction', () => {
  it('creates km_<hash> items, pending under review and approved under auto', async () => {
    const a = await store.items.upsertExtracted(
      {
        title: 'Orders grain',
        content: 'One row per line',
        category: 'data_analysis',
        tags: ['orders'],
        sourceUsers: ['ana@example.com'],
        sources: [note('u1')],
      },
      'review',
    );
    expect(a).toMatchObject({ created: true, changed: true, id: expect.stringMatching(/^km_[0-9a-f]{12}$/) });
    const b = await store.items.upsertExtracted(
      { title: 'Auto one', content: 'auto', category: 'workflow', tags: [], sourceUsers: ['bo@example.com'], sources: [] },
      'auto',
    );
    const itemA = await store.items.get('anyone', a.id);
    expect(itemA).toMatchObject({ status: 'pending', source_type: 'claude_local_md', owner_id: null, sources: [note('u1')], confidence: 0.5 });
    expect((await store.items.get('anyone', b.id))?.status).toBe('approved');
    expect(await history(a.id)).toEqual(['extract_create']);
  });

  it('merges into an existing item: keeps its id, status and required flag, unions sources; a re-run changes nothing', async () => {
    const first = await store.items.upsertExtracted(
      {
        title: 'Churn rule',
        content: 'Churn = 90 days',
        category: 'business_logic',
        tags: ['churn'],
        sourceUsers: ['ana@example.com'],
        sources: [note('u1', 'v1')],
      },
      'review',
    );
    await store.governance.act('km', 'mandate', first.id);
    const merged = {
      existingId: first.id,
      title: 'Churn rule',
      content: 'Churn = 90 days without an order',
      category: 'business_logic',
      tags: ['churn', 'orders'],
    };
    const second = await store.items.upsertExtracted({ ...merged, sourceUsers: ['bo@example.com'], sources: [note('u1', 'v2'), note('u2')] }, 'auto');
    expect(second).toEqual({ id: first.id, created: false, changed: true });
    const item = (await store.items.get('anyone', first.id))!;
    expect(item).toMatchObject({
      status: 'approved',
      required: true,
      content: 'Churn = 90 days without an order',
      tags: ['churn', 'orders'],
      source_users: ['ana@example.com', 'bo@example.com'],
      sources: [note('u1', 'v2'), note('u2')],
    });
    const again = await store.items.upsertExtracted({ ...merged, sourceUsers: ['bo@example.com'], sources: [note('u2')] }, 'review');
    expect(again).toEqual({ id: first.id, created: false, changed: false });
    expect(await history(first.id)).toEqual(['extract_create', 'mandate', 'extract_update']);
  });

  it('a database update never changes status: a rejected item stays rejected when its text comes back', async () => {
    const r = await store.items.upsertExtracted(
      { title: 'Wrong', content: 'Not true', category: 'workflow', tags: [], sourceUsers: ['a'], sources: [] },
      'review',
    );
    await store.governance.act('km', 'reject', r.id);
    // The same text without an existing id: the content hash names the same item.
    const back = await store.items.upsertExtracted(
      { title: 'Wrong', content: 'Not true', category: 'workflow', tags: [], sourceUsers: ['b'], sources: [] },
      'auto',
    );
    expect(back).toMatchObject({ id: r.id, created: false });
    expect((await store.items.get('x', r.id))?.status).toBe('rejected');
  });

  it('never merges into a personal item, and dedupe candidates leave personal items out', async () => {
    const personal = await store.items.create({ title: 'Mine', content: 'private', category: 'workflow', ownerId: 'owner', personal: true });
    const out = await store.items.upsertExtracted(
      { existingId: personal.id, title: 'Mine', content: 'private', category: 'workflow', tags: [], sourceUsers: ['x'], sources: [] },
      'review',
    );
    expect(out.created).toBe(true);
    expect(out.id).not.toBe(personal.id);
    expect((await store.items.get('owner', personal.id))?.source_users).toEqual([]);
    const ids = (await store.items.dedupeCandidates()).map((c) => c.id);
    expect(ids).toContain(out.id);
    expect(ids).not.toContain(personal.id);
    // An unknown existing id is a new item too.
    expect(
      (
        await store.items.upsertExtracted(
          { existingId: 'km_gone', title: 'T', content: 'C', category: 'workflow', tags: [], sourceUsers: [], sources: [] },
          'review',
        )
      ).created,
    ).toBe(true);
  });
});

describe('expiry', () => {
  it('approved items past expires_at become expired, audited; approving brings them back without the old expiry', async () => {
    const past = storeOf(t, () => new Date(Date.now() - 10 * DAY));
    const item = await past.items.create({
      title: 'Q3 freeze',
      content: 'No deploys in Q3',
      category: 'workflow',
      ownerId: 'o',
      expiresAt: new Date(Date.now() - DAY),
    });
    await past.governance.act('km', 'approve', item.id);
    expect(await store.items.expireDue()).toBeGreaterThanOrEqual(1);
    expect((await store.items.get('x', item.id))?.status).toBe('expired');
    expect(await history(item.id)).toEqual(['propose', 'approve', 'expire']);
    const back = await store.governance.act('km', 'approve', item.id);
    expect(back).toMatchObject({ status: 'approved', expires_at: null });
    expect(await store.items.expireDue()).toBe(0);
  });
});

describe('the audit of what changed no item', () => {
  it('records a dropped candidate with its reason and no item', async () => {
    await store.audit.record({ actorId: null, action: 'extract_drop', reason: 'unsafe: names a customer' });
    const { entries } = await store.audit.list({ action: 'extract_drop', limit: 10, offset: 0 });
    expect(entries).toEqual([
      expect.objectContaining({ action: 'extract_drop', item_id: null, before: null, after: null, reason: 'unsafe: names a customer' }),
    ]);
  });
});

describe('note state for change detection', () => {
  it('records the last processed version per user and replaces it', async () => {
    expect(await store.notes.noteState('u-notes')).toBeUndefined();
    await store.notes.markNote('u-notes', 'aaa', 'failed', 'the model answered invalid JSON twice');
    expect(await store.notes.noteState('u-notes')).toMatchObject({
      user_id: 'u-notes',
      sha256: 'aaa',
      status: 'failed',
      error: 'the model answered invalid JSON twice',
    });
    await store.notes.markNote('u-notes', 'bbb', 'processed');
    const s = await store.notes.noteState('u-notes');
    expect(s).toMatchObject({ sha256: 'bbb', status: 'processed', error: null });
    expect(s?.processed_at).toBeInstanceOf(Date);
  });
});

describe('the SQL twin of the confidence formula', () => {
  it('agrees with computeConfidence over sources, votes, age and mandates', async () => {
    const { computeConfidence, confidenceSql } = await import('../../src/store/confidence.js');
    const now = Date.parse('2025-06-01T00:00:00Z');
    const halfLifeMs = 200 * DAY;
    const cases: { required: boolean; source: 'claude_local_md' | 'admin_mandate' | 'user_proposal'; users: number; up: number; down: number; days: number }[] =
      [];
    for (const required of [false, true])
      for (const source of ['claude_local_md', 'admin_mandate', 'user_proposal'] as const)
        for (const users of [0, 1, 3, 9])
          for (const [up, down] of [
            [0, 0],
            [3, 1],
            [0, 4],
            [20, 0],
            [0, 30],
          ])
            for (const days of [-5, 0, 17, 200, 999]) cases.push({ required, source, users, up, down, days });
    const expr = confidenceSql(
      { required: 'required', sourceType: 'source', sourceUsers: 'users', upvotes: 'up', downvotes: 'down', updatedAt: 'updated_at' },
      'p.now_ms',
      halfLifeMs,
    );
    // The cases as literal rows (numbers and fixed words the test made up): only the time now is bound.
    const values = cases
      .map((x, k) => `(${k}, ${x.required}, '${x.source}', ${x.users}, ${x.up}, ${x.down}, CAST('${new Date(now - x.days * DAY).toISOString()}' AS TIMESTAMP))`)
      .join(', ');
    const rows = await t.host.systemDb!.all<{ k: number; c: number }>(
      `SELECT k, ${expr} AS c FROM (VALUES ${values}) cases(k, required, source, users, up, down, updated_at)
       CROSS JOIN (SELECT ?::DOUBLE PRECISION AS now_ms) p ORDER BY k`,
      [now],
    );
    expect(rows).toHaveLength(cases.length);
    for (const { k, c } of rows) {
      const x = cases[k];
      const js = computeConfidence({
        sourceType: x.source,
        required: x.required,
        sourceUsers: x.users,
        upvotes: x.up,
        downvotes: x.down,
        updatedAt: new Date(now - x.days * DAY),
        now: new Date(now),
        halfLifeMs,
      });
      expect(c, JSON.stringify(x)).toBeCloseTo(js, 6);
    }
  });
});
