import { describe, expect, it } from 'vitest';
import type { ApplyResult, StoreOp } from '../../src/store/types.js';
import { WriteBatcher } from '../../src/sync/write-batcher.js';

const rows = { issues: [], comments: [], attachments: [], changelog: [], issuelinks: [], remote_links: undefined };
const upsert = (key: string): StoreOp => ({ kind: 'upsert', key, rows });

function store(o: { failOn?: string; stale?: string[]; ms?: number } = {}) {
  const batches: string[][] = [];
  let writing = 0;
  let overlapped = false;
  const apply = async (ops: StoreOp[]): Promise<ApplyResult> => {
    if (writing++) overlapped = true;
    batches.push(ops.map((op) => `${op.kind}:${op.key}`));
    await new Promise((r) => setTimeout(r, o.ms ?? 10));
    writing--;
    if (o.failOn && ops.some((op) => op.key === o.failOn)) throw new Error('disk full');
    const stale = ops.filter((op) => o.stale?.includes(op.key)).map((op) => op.key);
    return { written: [], stale, deleted: [], report: { tables: [] } };
  };
  return { apply, batches, overlapped: () => overlapped };
}

describe('the write batcher', () => {
  it('writes ops that arrive together in one batch, and tells each caller how its op ended', async () => {
    const s = store({ stale: ['SUP-2'] });
    const b = new WriteBatcher({ apply: s.apply, maxWaitMs: 30, maxOps: 100 });
    const outcomes = await Promise.all([b.submit(upsert('SUP-1')), b.submit(upsert('SUP-2')), b.submit({ kind: 'delete', key: 'SUP-3' })]);
    expect(outcomes).toEqual(['written', 'stale', 'deleted']);
    expect(s.batches).toEqual([['upsert:SUP-1', 'upsert:SUP-2', 'delete:SUP-3']]);
  });

  it('never runs two writes at once, and splits at maxOps', async () => {
    const s = store({ ms: 25 });
    const b = new WriteBatcher({ apply: s.apply, maxWaitMs: 5, maxOps: 3 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => b.submit(upsert(`SUP-${i}`))));
    expect(s.overlapped()).toBe(false);
    expect(s.batches.flat()).toHaveLength(10);
    expect(Math.max(...s.batches.map((x) => x.length))).toBe(3);
  });

  it('a failed write rejects the ops of its batch only', async () => {
    const s = store({ failOn: 'BAD-1' });
    const b = new WriteBatcher({ apply: s.apply, maxWaitMs: 5, maxOps: 1 });
    const [bad, good] = await Promise.allSettled([b.submit(upsert('BAD-1')), b.submit(upsert('SUP-2'))]);
    expect(bad.status).toBe('rejected');
    expect(good).toEqual({ status: 'fulfilled', value: 'written' });
  });

  it('drain() writes what waits without waiting for the timer', async () => {
    const s = store();
    const b = new WriteBatcher({ apply: s.apply, maxWaitMs: 60_000, maxOps: 100 });
    const p = b.submit(upsert('SUP-1'));
    await b.drain();
    await expect(p).resolves.toBe('written');
  });
});
