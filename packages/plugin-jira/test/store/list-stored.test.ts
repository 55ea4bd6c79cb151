// JiraStore's reads of the committed extract: listStored and its filters, the key lookups the
// webhook handlers use, and how long an apply of a webhook burst takes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreOp } from '../../src/store/index.js';
import { ExtractReader, newSource, rowsOf, type IssueSpec, type Source } from './helpers.js';

let src: Source;
beforeEach(async () => {
  src = await newSource();
});
afterEach(() => src.cleanup());

const upsert = (spec: IssueSpec): StoreOp => ({ kind: 'upsert', key: `OPS-${spec.n}`, rows: rowsOf(spec) });

describe('JiraStore.listStored', () => {
  it('is empty before anything is stored', async () => {
    expect(await src.store.listStored()).toEqual([]);
    expect(await src.store.listStored({ openOnly: true, keys: ['OPS-1'] })).toEqual([]);
  });

  it('lists stored issues by key with UTC times, the status category and the refresh columns; filters combine', async () => {
    await src.store.apply([
      upsert({ n: 1, updated: '2024-05-03T17:30:12.345+0000' }),
      upsert({ n: 2, updated: '2024-05-10T00:00:00.000+0200', category: 'Done' }),
      upsert({ n: 3, created: '2024-07-01T00:00:00.000+0000', updated: '2024-07-02T00:00:00.000+0000', category: 'To Do' }),
    ]);
    const all = await src.store.listStored();
    expect(all.map((s) => s.key)).toEqual(['OPS-1', 'OPS-2', 'OPS-3']);
    expect(all[0]).toEqual({
      key: 'OPS-1',
      updatedAt: '2024-05-03T17:30:12.345Z',
      createdAt: '2024-05-01T08:00:00.000Z',
      statusCategory: 'In Progress',
      refresh: { sla: rowsOf({ n: 1 }).issues[0].sla, region: '[{"value":"EU","id":"10100"}]' },
    });
    expect(all[1].updatedAt).toBe('2024-05-09T22:00:00.000Z');

    const keys = async (filter: Parameters<Source['store']['listStored']>[0]) => (await src.store.listStored(filter)).map((s) => s.key);
    expect(await keys({ openOnly: true })).toEqual(['OPS-1', 'OPS-3']);
    expect(await keys({ keys: ['OPS-3', 'OPS-2', 'OPS-9'] })).toEqual(['OPS-2', 'OPS-3']);
    expect(await keys({ keys: [] })).toEqual([]);
    expect(await keys({ updatedSince: new Date('2024-05-09T22:00:00.000Z') })).toEqual(['OPS-2', 'OPS-3']);
    expect(await keys({ updatedSince: new Date('2024-05-09T22:00:00.001Z'), openOnly: true })).toEqual(['OPS-3']);
    expect(await keys({ keys: ['OPS-1', 'OPS-2'], openOnly: true })).toEqual(['OPS-1']);
  });

  it('finds issue keys by attachment id and by issue id', async () => {
    await src.store.apply([upsert({ n: 1 }), upsert({ n: 2 })]);
    // Attachment ids are the fixture's (20001, 20002) prefixed by the issue's n; issue ids are 1<n>.
    expect(await src.store.issueKeysOfAttachments(['220002', '120001', '999'])).toEqual(['OPS-1', 'OPS-2']);
    expect(await src.store.issueKeysOfAttachments([])).toEqual([]);
    expect(await src.store.issueKeysByIds(['12', '11', '77'])).toEqual(
      new Map([
        ['11', 'OPS-1'],
        ['12', 'OPS-2'],
      ]),
    );
  });
});

// Speed is measured by `BENCH_ONLY=jira npm run bench`; this checks large bursts stay correct.
describe('JiraStore.apply with large bursts', () => {
  it('applies bursts of 200 and 50 issues (10 comments each, spread over 12 months) in one push each', async () => {
    const burst = (count: number, updated: string): StoreOp[] =>
      Array.from({ length: count }, (_, i) =>
        upsert({ n: i + 1, updated, extraComments: 8, created: `2024-${String(1 + (i % 12)).padStart(2, '0')}-05T10:00:00.000+0000` }),
      );
    for (const ops of [
      burst(200, '2024-12-01T00:00:00.000+0000'),
      burst(200, '2024-12-02T00:00:00.000+0000'),
      burst(50, '2024-12-03T00:00:00.000+0000'),
      burst(1, '2024-12-04T00:00:00.000+0000'),
    ]) {
      const r = await src.store.apply(ops);
      expect(r.written).toHaveLength(ops.length);
    }
    const read = await ExtractReader.open(src.sourceDir);
    try {
      expect(await read.rows('comments', ['comment_id'])).toHaveLength(2000);
      expect((await read.files('comments')).length).toBe(12);
    } finally {
      read.close();
    }
  });
});
