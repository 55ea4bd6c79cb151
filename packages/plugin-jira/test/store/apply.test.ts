// JiraStore.apply on real extract files: one push per batch, typed month-partitioned tables,
// issues merged by key and children replaced per issue, stale and repeated ops, deletes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMENTS_TABLE, jiraTables } from '../../src/transform/index.js';
import { ExtractReader, TABLES, newSource, refreshFields, rowsOf, type IssueSpec, type Source } from './helpers.js';

let src: Source;
let read: ExtractReader;
beforeEach(async () => {
  src = await newSource();
  read = await ExtractReader.open(src.sourceDir);
});
afterEach(async () => {
  read.close();
  await src.cleanup();
});

const upsert = (spec: IssueSpec) => ({ kind: 'upsert' as const, key: `OPS-${spec.n}`, rows: rowsOf(spec) });
const del = (n: number) => ({ kind: 'delete' as const, key: `OPS-${n}` });
const keysIn = async (table: (typeof TABLES)[number]) => [...new Set((await read.rows(table, ['issue_key'])).map((r) => r.issue_key))];
const allHashes = async () => Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await read.hashes(t)] as const)));

describe('JiraStore.apply', () => {
  it('writes the six tables in one push, each column with its declared type even when every value is NULL', async () => {
    // The fixture's resolution and resolved_at are NULL; its remote links failed, so that table gets no rows.
    const r = await src.store.apply([upsert({ n: 1, remoteLinks: 'failed' })]);
    expect(src.pushes()).toBe(1);
    expect(r).toMatchObject({ written: ['OPS-1'], stale: [], deleted: [] });
    expect(r.report.tables.map((t) => [t.name, t.status, t.rows])).toEqual([
      ['issues', 'ok', 1],
      ['comments', 'ok', 2],
      ['attachments', 'ok', 2],
      ['changelog', 'ok', 5],
      ['issuelinks', 'ok', 2],
      ['remote_links', 'ok', 0],
    ]);
    expect(await read.tables()).toEqual([...TABLES].sort());
    const duckType = { VARCHAR: 'VARCHAR', BIGINT: 'BIGINT', BOOLEAN: 'BOOLEAN', TIMESTAMPTZ: 'TIMESTAMP WITH TIME ZONE', DATE: 'DATE' };
    for (const table of jiraTables(refreshFields)) {
      expect(await read.types(table.name), table.name).toEqual(Object.fromEntries(table.columns.map((c) => [c.name, duckType[c.type]])));
    }
    expect((await read.files('issues')).map((f) => f.part)).toEqual(['2024-05']);
    expect((await read.files('remote_links')).map((f) => f.part)).toEqual(['__empty__']);
  });

  it('types columns from the definitions when a batch holds deletions only', async () => {
    const r = await src.store.apply([del(1)]);
    expect(r).toMatchObject({ written: [], deleted: ['OPS-1'] });
    expect(await read.tables()).toEqual([...TABLES].sort());
    expect((await read.types('comments')).issue_created_at).toBe('TIMESTAMP WITH TIME ZONE');
    expect(Object.keys(await read.types('comments'))).toEqual(COMMENTS_TABLE.columns.map((c) => c.name));
  });

  it('replaying one op five times keeps one row set and every file with its hashes, and reports no table', async () => {
    await src.store.apply([upsert({ n: 1 })]);
    const hashes = await allHashes();
    const rows = await read.rows('comments', ['comment_id', 'issue_key', 'body']);
    for (let i = 0; i < 5; i++) expect((await src.store.apply([upsert({ n: 1 })])).report.tables).toEqual([]);
    const r = await src.store.apply([upsert({ n: 1 }), upsert({ n: 1 }), upsert({ n: 1 })]);
    expect(r).toMatchObject({ written: ['OPS-1'], report: { tables: [] } });
    expect(await allHashes()).toEqual(hashes);
    expect(await read.rows('comments', ['comment_id', 'issue_key', 'body'])).toEqual(rows);
    expect(await read.rows('issues', ['issue_key'])).toEqual([{ part: '2024-05', issue_key: 'OPS-1' }]);
  });

  it('skips an upsert older than the stored issue, and one older than an earlier upsert of the batch', async () => {
    await src.store.apply([upsert({ n: 1, updated: '2024-05-03T17:30:00.000+0000', summary: 'new' })]);
    const r = await src.store.apply([upsert({ n: 1, updated: '2024-05-03T17:29:59.999+0000', summary: 'old' })]);
    expect(r).toMatchObject({ written: [], stale: ['OPS-1'], deleted: [], report: { tables: [] } });
    expect(await read.rows('issues', ['summary'])).toEqual([{ part: '2024-05', summary: 'new' }]);

    const b = await src.store.apply([
      upsert({ n: 2, updated: '2024-06-01T00:00:00.000+0000', summary: 'v2' }),
      upsert({ n: 2, updated: '2024-05-01T00:00:00.000+0000', summary: 'v1' }),
      upsert({ n: 1, updated: '2024-05-03T17:30:00.000+0000', summary: 'same instant, written again' }),
    ]);
    expect(b).toMatchObject({ written: ['OPS-2', 'OPS-1'], stale: [] });
    expect(await read.rows('issues', ['issue_key', 'summary'])).toEqual([
      { part: '2024-05', issue_key: 'OPS-1', summary: 'same instant, written again' },
      { part: '2024-05', issue_key: 'OPS-2', summary: 'v2' },
    ]);
  });

  it('a comment deleted in Jira leaves, and an issue without comments clears the stored ones', async () => {
    await src.store.apply([upsert({ n: 1 }), upsert({ n: 2 })]);
    expect((await read.rows('comments', ['comment_id'])).map((r) => r.comment_id)).toEqual(['140001', '140002', '240001', '240002']);
    await src.store.apply([upsert({ n: 1, comments: ['40002'] }), upsert({ n: 2, comments: [] })]);
    expect(await read.rows('comments', ['issue_key', 'comment_id'])).toEqual([{ part: '2024-05', issue_key: 'OPS-1', comment_id: '140002' }]);
    // Other tables of both issues are untouched.
    expect(await keysIn('attachments')).toEqual(['OPS-1', 'OPS-2']);
  });

  it('a delete removes the issue from every table and every month; the other month keeps its files', async () => {
    await src.store.apply([upsert({ n: 1 }), upsert({ n: 2, created: '2024-07-10T09:00:00.000+0000' })]);
    for (const t of TABLES) expect((await read.files(t)).map((f) => f.part)).toEqual(['2024-05', '2024-07']);
    const before = await allHashes();
    const r = await src.store.apply([del(1)]);
    expect(r).toMatchObject({ written: [], deleted: ['OPS-1'] });
    for (const t of TABLES) {
      expect(await keysIn(t), t).toEqual(['OPS-2']);
      expect(await read.hashes(t), t).toEqual({ '2024-07': before[t]['2024-07'] });
    }
    // A delete of an issue never stored changes nothing.
    const after = await allHashes();
    await src.store.apply([del(99)]);
    expect(await allHashes()).toEqual(after);
  });

  it('takes ops of one key in order: delete then upsert writes, upsert then delete deletes', async () => {
    await src.store.apply([upsert({ n: 1 }), upsert({ n: 2 })]);
    const r = await src.store.apply([del(1), upsert({ n: 1, comments: ['40001'], remoteLinks: 'failed' }), upsert({ n: 2 }), del(2)]);
    expect(r).toMatchObject({ written: ['OPS-1'], deleted: ['OPS-2'], stale: [] });
    for (const t of TABLES.filter((t) => t !== 'remote_links')) expect(await keysIn(t), t).toEqual(['OPS-1']);
    expect((await read.rows('comments', ['comment_id'])).map((c) => c.comment_id)).toEqual(['140001']);
    // The delete took the remote links; the upsert after it had none fetched, so none are stored.
    expect(await read.rows('remote_links', ['issue_key'])).toEqual([]);
  });

  it('keeps the stored remote links of an issue whose remote link fetch failed', async () => {
    await src.store.apply([upsert({ n: 1 }), upsert({ n: 2 })]);
    const hashes = await read.hashes('remote_links');
    const r = await src.store.apply([upsert({ n: 1, remoteLinks: 'failed', summary: 'edited' }), upsert({ n: 2, remoteLinks: 'none' })]);
    expect(await read.rows('remote_links', ['issue_key', 'remote_link_id'])).toEqual([
      { part: '2024-05', issue_key: 'OPS-1', remote_link_id: '10000' },
      { part: '2024-05', issue_key: 'OPS-1', remote_link_id: '10001' },
    ]);
    expect(await read.hashes('remote_links')).not.toEqual(hashes);
    expect(r.report.tables.find((t) => t.name === 'remote_links')?.rows).toBe(2);
  });

  it('an issue whose created month changed leaves its old month in issues and child tables, remote links kept included', async () => {
    await src.store.apply([upsert({ n: 1 }), upsert({ n: 2 })]);
    await src.store.apply([upsert({ n: 1, created: '2024-08-02T00:30:00.000+0200', remoteLinks: 'failed' })]);
    // 2024-08-02T00:30+02:00 is 2024-08-01T22:30Z: August in UTC.
    const issueMonths = await read.rows('issues', ['issue_key', 'created_at']);
    expect(issueMonths.map((r) => [r.part, r.issue_key])).toEqual([
      ['2024-08', 'OPS-1'],
      ['2024-05', 'OPS-2'],
    ]);
    for (const t of TABLES.filter((t) => t !== 'issues')) {
      const rows = await read.rows(t, ['issue_key', 'issue_created_at']);
      expect(
        rows
          .filter((r) => r.issue_key === 'OPS-1')
          .every((r) => r.part === '2024-08' && (r.issue_created_at as Date).toISOString() === '2024-08-01T22:30:00.000Z'),
        t,
      ).toBe(true);
      expect(rows.filter((r) => r.issue_key === 'OPS-1').length, t).toBeGreaterThan(0);
      expect(
        rows.filter((r) => r.part === '2024-05').every((r) => r.issue_key === 'OPS-2'),
        t,
      ).toBe(true);
    }
  });

  it('refuses an upsert carrying another issue’s rows, and writes nothing', async () => {
    const rows = rowsOf({ n: 1 });
    await expect(src.store.apply([{ kind: 'upsert', key: 'OPS-2', rows }])).rejects.toThrow(/Upsert of OPS-2 carries/);
    expect(await read.tables()).toEqual([]);
  });
});

describe('JiraStore.apply leaves untouched tables alone', () => {
  it('a new issue without comments or remote links does not rewrite those tables; a stored one that lost its comments does', async () => {
    await src.store.apply([upsert({ n: 1 })]);
    const before = await allHashes();
    const r = await src.store.apply([upsert({ n: 2, comments: [], remoteLinks: 'none' })]);
    const written = r.report.tables.map((t) => t.name);
    expect(written).not.toContain('comments');
    expect(written).not.toContain('remote_links');
    expect(await read.hashes('comments')).toEqual(before.comments);
    // OPS-1 had two comments: an update without them must clear them, so the table is written.
    const cleared = await src.store.apply([upsert({ n: 1, comments: [], updated: '2030-01-01T00:00:00.000+0000' })]);
    expect(cleared.report.tables.map((t) => t.name)).toContain('comments');
    expect(await keysIn('comments')).toEqual([]);
  });
});
