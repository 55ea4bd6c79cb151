import type { TestHost } from '@aida/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HALF_LIFE, startMemoryHost } from '../routes/helpers.js';
import { MemoryStore, type ExtractedItem, type MemoryDb } from '../../src/store/index.js';

let t: TestHost;
let store: MemoryStore;
/** Statements the store sent, inside transactions or not (a transaction's BEGIN and COMMIT not counted). */
let statements: string[] = [];

beforeAll(async () => {
  t = await startMemoryHost();
  // The host's real system database; the wrapper only records each statement before passing it on.
  const db = t.host.systemDb!;
  const counted = <S extends Pick<MemoryDb, 'all' | 'run'>>(s: S) => ({
    all: ((sql, params) => (statements.push(sql), s.all(sql, params))) as MemoryDb['all'],
    run: ((sql, params) => (statements.push(sql), s.run(sql, params))) as MemoryDb['run'],
  });
  store = new MemoryStore({ ...counted(db), transaction: (fn) => db.transaction((tx) => fn(counted(tx))) }, { halfLifeMs: HALF_LIFE });
});
afterAll(() => t?.stop());

const fromNote = (user: string, title: string, more: Partial<ExtractedItem> = {}): ExtractedItem => ({
  title,
  content: `${title}: the details`,
  category: 'data_analysis',
  tags: [],
  sourceUsers: [`${user}@example.com`],
  sources: [{ user_id: user, sha256: `${user}-v1` }],
  ...more,
});

describe("a note's extraction in one transaction", () => {
  it('stores every item, the drops and the note state in a handful of statements, whatever the note holds', async () => {
    const known = await store.items.upsertExtracted(fromNote('u0', 'Known fact'), 'review');
    statements = [];
    const items = [...Array.from({ length: 12 }, (_, i) => fromNote('u1', `Fact ${i}`)), fromNote('u1', 'Known fact', { existingId: known.id })];
    const results = await store.items.saveExtraction('review', async (batch) => {
      await batch.prefetch(items);
      const out = [];
      for (const e of items) out.push(await batch.upsert(e));
      batch.drop('from the notes of u1@example.com: names a customer');
      batch.markNote({ userId: 'u1', sha256: 'u1-v1', status: 'processed' });
      return out;
    });
    expect(results.filter((r) => r.created)).toHaveLength(12);
    expect(results.at(-1)).toEqual({ id: known.id, created: false, changed: true });
    // One read, one INSERT and one UPDATE of items, one INSERT of audit rows, the note state: not one round trip per item.
    expect(statements.map((s) => s.trim().split(/\s+/).slice(0, 3).join(' '))).toEqual([
      expect.stringMatching(/^SELECT/),
      'INSERT INTO memory_items',
      'UPDATE memory_items SET',
      'INSERT INTO memory_audit',
      'INSERT INTO memory_note_state',
    ]);
    expect((await store.items.get('x', known.id))?.source_users).toEqual(['u0@example.com', 'u1@example.com']);
    expect(await store.notes.noteState('u1')).toMatchObject({ sha256: 'u1-v1', status: 'processed' });
    // The audit rows keep the order of the upserts.
    const { entries } = await store.audit.list({ limit: 14, offset: 0 });
    expect(entries.reverse().map((e) => e.action)).toEqual([...Array(12).fill('extract_create'), 'extract_update', 'extract_drop']);
  });

  it('applies the upserts in order, as one by one: the same text twice is one item, merged into, with one row per change in its history', async () => {
    const { first, again } = await store.items.saveExtraction('auto', async (batch) => ({
      first: await batch.upsert(fromNote('u2', 'Refunds lag a day')),
      again: await batch.upsert(fromNote('u3', 'Refunds lag a day')),
    }));
    expect(first.created).toBe(true);
    expect(again).toEqual({ id: first.id, created: false, changed: true });
    const item = await store.items.get('x', first.id);
    expect(item).toMatchObject({ status: 'approved', source_users: ['u2@example.com', 'u3@example.com'] });
    expect(item?.sources.map((s) => s.user_id)).toEqual(['u2', 'u3']);
    const history = await store.audit.history(first.id);
    expect(history.map((e) => e.action)).toEqual(['extract_create', 'extract_update']);
    expect(history[1].before?.source_users).toEqual(['u2@example.com']);
  });

  it('writes nothing when the note fails half-way: no item, no audit row, no note state', async () => {
    const before = (await store.items.dedupeCandidates()).length;
    const audited = (await store.audit.list({ limit: 1, offset: 0 })).total;
    await expect(
      store.items.saveExtraction('review', async (batch) => {
        await batch.upsert(fromNote('u4', 'Never stored'));
        batch.markNote({ userId: 'u4', sha256: 'u4-v1', status: 'processed' });
        throw new Error('the model answered nonsense for the last part');
      }),
    ).rejects.toThrow('nonsense');
    expect((await store.items.dedupeCandidates()).length).toBe(before);
    expect((await store.audit.list({ limit: 1, offset: 0 })).total).toBe(audited);
    expect(await store.notes.noteState('u4')).toBeUndefined();
  });

  it("keeps an item's votes in the confidence it stores when a note merges into it", async () => {
    const stored = async (id: string) => (await t.host.systemDb!.all<{ c: number }>('SELECT confidence AS c FROM memory_items WHERE id = ?', [id]))[0].c;
    const item = await store.items.upsertExtracted(fromNote('u5', 'Churn is monthly'), 'auto');
    expect(await stored(item.id)).toBeCloseTo(0.5, 3);
    await store.votes.vote('v1', item.id, 1);
    await store.votes.vote('v2', item.id, 1);
    await store.items.upsertExtracted(fromNote('u6', 'Churn is monthly'), 'auto');
    // 0.5, two up votes (+0.1) and a second source (+0.05), on an item changed just now.
    expect(await stored(item.id)).toBeCloseTo(0.65, 3);
  });
});
