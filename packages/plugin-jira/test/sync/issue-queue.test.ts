import { describe, expect, it } from 'vitest';
import { IssueQueue, type IssueOp } from '../../src/sync/issue-queue.js';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

function recorder(concurrency: number, opMs = 20, maxPending = 1000) {
  const log: string[] = [];
  const active = new Set<string>();
  let most = 0;
  const overlaps: string[] = [];
  const errors: string[] = [];
  const queue = new IssueQueue({
    concurrency,
    maxPending,
    run: async (key: string, op: IssueOp) => {
      if (active.has(key)) overlaps.push(key);
      active.add(key);
      most = Math.max(most, active.size);
      log.push(`${key}:${op}:start`);
      await tick(opMs);
      if (key === 'BAD-1') throw new Error('boom');
      log.push(`${key}:${op}:end`);
      active.delete(key);
    },
    onError: (key, op) => {
      active.delete(key);
      errors.push(`${key}:${op}`);
    },
  });
  return { queue, log, overlaps, errors, most: () => most };
}

describe('the per-issue queue', () => {
  it('never runs two operations of one issue at once, and keeps their order', async () => {
    const r = recorder(4);
    r.queue.enqueue('SUP-1', 'refetch');
    await tick(1);
    r.queue.enqueue('SUP-1', 'delete');
    r.queue.enqueue('SUP-1', 'refetch');
    await r.queue.idle();
    expect(r.overlaps).toEqual([]);
    expect(r.log).toEqual(['SUP-1:refetch:start', 'SUP-1:refetch:end', 'SUP-1:delete:start', 'SUP-1:delete:end', 'SUP-1:refetch:start', 'SUP-1:refetch:end']);
  });

  it('runs different issues side by side, up to the concurrency', async () => {
    const r = recorder(3);
    for (let i = 1; i <= 9; i++) r.queue.enqueue(`SUP-${i}`, 'refetch');
    await r.queue.idle();
    expect(r.most()).toBe(3);
    expect(r.log.filter((l) => l.endsWith(':end'))).toHaveLength(9);
  });

  it('folds repeats of the waiting operation into one (a webhook delivered five times refetches once more)', async () => {
    const r = recorder(1);
    r.queue.enqueue('SUP-1', 'refetch'); // starts at once
    for (let i = 0; i < 5; i++) r.queue.enqueue('SUP-1', 'refetch');
    await r.queue.idle();
    expect(r.log.filter((l) => l.endsWith(':start'))).toEqual(['SUP-1:refetch:start', 'SUP-1:refetch:start']);
  });

  it('a failing operation is reported and the queue goes on', async () => {
    const r = recorder(2);
    r.queue.enqueue('BAD-1', 'refetch');
    r.queue.enqueue('SUP-2', 'refetch');
    await r.queue.idle();
    expect(r.errors).toEqual(['BAD-1:refetch']);
    expect(r.log).toContain('SUP-2:refetch:end');
  });

  it('refuses new issues when full, and settled() waits for one issue only', async () => {
    const r = recorder(1, 30, 2);
    expect(r.queue.enqueue('SUP-1', 'refetch')).toBe(true); // running: not pending
    expect(r.queue.enqueue('SUP-2', 'refetch')).toBe(true);
    expect(r.queue.enqueue('SUP-3', 'refetch')).toBe(true);
    expect(r.queue.enqueue('SUP-4', 'refetch')).toBe(false);
    expect(r.queue.enqueue('SUP-2', 'delete')).toBe(true); // a key already waiting still takes more
    await r.queue.settled('SUP-2');
    expect(r.log.at(-1)).toBe('SUP-2:delete:end');
    await r.queue.idle();
    expect(r.log.join(' ')).not.toContain('SUP-4');
  });
});
