import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExtractWriter, queryRows, readExtract, type FileRow, type WriteMode } from '@aida/core';

let root: string;
let dir: string;
let db: DuckDBInstance;
let conn: DuckDBConnection;
beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
});
afterAll(() => {
  conn.closeSync();
  db.closeSync();
});
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'aida-modes-'));
  dir = join(root, 'shop');
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** `VALUES` rows as a SELECT: (id, day, note). */
function rows(...r: [number | null, string | null, string][]): string {
  if (!r.length) return `SELECT NULL::BIGINT AS id, NULL::DATE AS day, NULL::VARCHAR AS note WHERE false`;
  const v = r.map(([id, day, note]) => `(${id ?? 'NULL'}::BIGINT, ${day ? `DATE '${day}'` : 'NULL::DATE'}, '${note}')`).join(', ');
  return `SELECT * FROM (VALUES ${v}) t(id, day, note)`;
}

/** One write in its own writer, committed. */
async function write(sql: string, mode: WriteMode, table = 'events') {
  const w = await ExtractWriter.open(dir);
  try {
    const result = await w.write(table, sql, mode);
    await w.commit();
    return result;
  } catch (e) {
    await w.abort();
    throw e;
  }
}

async function extract() {
  return readExtract(conn, join(dir, 'extract.duckdb'));
}

async function filesOf(table = 'events'): Promise<FileRow[]> {
  return (await extract()).files.filter((f) => f.table_name === table);
}

/** The table's rows as its files hold them, in file order then row order. */
async function tableRows(table = 'events', order: string | null = 'id') {
  const fs = await filesOf(table);
  const list = fs.map((f) => `'${join(dir, f.path)}'`).join(', ');
  return queryRows<{ id: number | null; day: Date | null; note: string }>(
    conn,
    `SELECT id, day, note FROM read_parquet([${list}], union_by_name = true)${order ? ` ORDER BY ${order}` : ''}`,
  );
}

const byPart = (fs: FileRow[]) => Object.fromEntries(fs.map((f) => [f.part, f]));

/** Every listed file exists, and its hashes, size and row count are those of its bytes. */
async function expectFilesMatchBytes(table = 'events') {
  for (const f of await filesOf(table)) {
    const bytes = readFileSync(join(dir, f.path));
    expect(f.md5).toBe(createHash('md5').update(bytes).digest('hex'));
    expect(f.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(f.size_bytes).toBe(bytes.length);
    const [{ n }] = await queryRows<{ n: number }>(conn, `SELECT count(*) AS n FROM read_parquet('${join(dir, f.path)}')`);
    expect(f.rows).toBe(n);
  }
}

const MONTHLY = { column: 'day', granularity: 'month' } as const;
const SEED: [number, string, string][] = [
  [1, '2024-01-10', 'a'],
  [2, '2024-01-20', 'b'],
  [3, '2024-02-10', 'c'],
  [4, '2024-02-20', 'd'],
  [5, '2024-03-10', 'e'],
  [6, '2024-03-20', 'f'],
];

describe('write mode replace', () => {
  it('replaces the whole table with the batch, streamed into one file', async () => {
    await write(rows(...SEED), { mode: 'replace' });
    const r = await write(rows([9, '2024-05-01', 'z']), { mode: 'replace' });
    expect(r).toMatchObject({ changed: true, rows: 1, batchRows: 1, removed: [] });
    expect((await tableRows()).map((x) => x.id)).toEqual([9]);
    expect((await filesOf()).map((f) => f.part)).toEqual([null]);
    await expectFilesMatchBytes();
  });
});

describe('write mode append', () => {
  it('adds the batch after the rows the table holds, across commits and within one writer', async () => {
    await write(rows(...SEED.slice(0, 2)), { mode: 'append' });
    await write(rows([3, '2024-02-10', 'c']), { mode: 'append' });
    const w = await ExtractWriter.open(dir);
    await w.write('events', rows([1, '2024-01-10', 'a again']), { mode: 'append' });
    const r = await w.write('events', rows([4, '2024-02-20', 'd']), { mode: 'append' });
    await w.commit();
    expect(r).toMatchObject({ rows: 5, batchRows: 1, changed: true });
    // File order is append order: nothing is de-duplicated.
    expect((await tableRows('events', null)).map((x) => `${x.id}:${x.note}`)).toEqual(['1:a', '2:b', '3:c', '1:a again', '4:d']);
    expect(await filesOf()).toHaveLength(1);
    await expectFilesMatchBytes();
  });

  it('an empty batch changes nothing: same file, same extracted_at', async () => {
    await write(rows(...SEED), { mode: 'append' });
    const before = await extract();
    const r = await write(rows(), { mode: 'append' });
    expect(r).toMatchObject({ changed: false, rows: 6, written: [] });
    const after = await extract();
    expect(after.files).toEqual(before.files);
    expect(after.meta[0].extracted_at).toEqual(before.meta[0].extracted_at);
  });

  it('refuses a _deleted column: only a merge can delete', async () => {
    await expect(write(`SELECT 1 AS id, true AS _deleted`, { mode: 'append' })).rejects.toThrow(
      /_deleted column marks rows to delete, which only a merge can do/,
    );
  });
});

describe('write mode merge', () => {
  it('keeps one row per key: the batch wins over the table, the last row of the batch wins within it', async () => {
    await write(rows(...SEED), { mode: 'merge', primaryKey: ['id'] });
    const batch = `SELECT * FROM (${rows([2, '2024-01-20', 'first'], [7, '2024-04-01', 'new'], [2, '2024-01-20', 'second'], [3, '2024-02-10', 'C'])}) ORDER BY id, note DESC`;
    // Ordered by id, then note descending: 'second' comes before 'first', so 'first' is the last row of key 2.
    const r = await write(batch, { mode: 'merge', primaryKey: ['id'] });
    expect(r).toMatchObject({ changed: true, rows: 7, batchRows: 4 });
    const all = await tableRows('events', null);
    // Written ordered by the key, so the same rows always give the same bytes.
    expect(all.map((x) => `${x.id}:${x.note}`)).toEqual(['1:a', '2:first', '3:C', '4:d', '5:e', '6:f', '7:new']);
    await expectFilesMatchBytes();
  });

  it('deletes the keys of rows marked _deleted, and a delete after an upsert of the same key in one batch wins', async () => {
    await write(rows(...SEED), { mode: 'merge', primaryKey: ['id'] });
    const batch = `SELECT id, NULL::DATE AS day, NULL AS note, true AS _deleted FROM (VALUES (2), (5), (99)) t(id)
      UNION ALL BY NAME SELECT * FROM (SELECT 6 AS id, DATE '2024-03-20' AS day, 'F' AS note, false AS _deleted UNION ALL SELECT 6, NULL, NULL, true)`;
    const r = await write(batch, { mode: 'merge', primaryKey: ['id'] });
    expect(r).toMatchObject({ rows: 3, batchRows: 5 });
    expect((await tableRows()).map((x) => x.id)).toEqual([1, 3, 4]);
    // The marker is never stored.
    const cols = await queryRows<{ column_name: string }>(conn, `DESCRIBE SELECT * FROM read_parquet('${join(dir, (await filesOf())[0].path)}')`);
    expect(cols.map((c) => c.column_name)).toEqual(['id', 'day', 'note']);
  });

  it('matches keys NULL-safely and by every column of a composite key', async () => {
    const sql = (...r: [number | null, string, string][]) =>
      `SELECT * FROM (VALUES ${r.map(([a, b, n]) => `(${a ?? 'NULL'}::INT, '${b}', '${n}')`).join(', ')}) t(a, b, note)`;
    await write(sql([1, 'x', 'one'], [1, 'y', 'two'], [null, 'x', 'null key']), { mode: 'merge', primaryKey: ['a', 'b'] });
    await write(sql([1, 'y', 'TWO'], [null, 'x', 'NULL KEY']), { mode: 'merge', primaryKey: ['a', 'b'] });
    const got = await queryRows<{ a: number | null; b: string; note: string }>(conn, `SELECT * FROM read_parquet('${join(dir, (await filesOf())[0].path)}')`);
    expect(got.map((g) => `${g.a}/${g.b}:${g.note}`)).toEqual(['1/x:one', '1/y:TWO', 'null/x:NULL KEY']);
  });

  it('an empty batch (or one deleting keys nobody has) changes nothing', async () => {
    await write(rows(...SEED), { mode: 'merge', primaryKey: ['id'] });
    const before = await extract();
    expect(await write(rows(), { mode: 'merge', primaryKey: ['id'] })).toMatchObject({ changed: false, rows: 6 });
    expect(await extract()).toEqual(before);
  });

  it('a batch repeating rows the table holds (an overlap exported again) changes nothing, in any order', async () => {
    const mode: WriteMode = { mode: 'merge', primaryKey: ['id'], partitionBy: MONTHLY };
    await write(rows(...SEED), mode);
    const before = await extract();
    const r = await write(rows(...[...SEED].reverse().slice(0, 3)), mode);
    expect(r).toMatchObject({ changed: false, written: [], rows: 6, batchRows: 3 });
    expect(await extract()).toEqual(before);
  });

  it('merges into what another writer committed after this one opened', async () => {
    await write(rows(...SEED.slice(0, 2)), { mode: 'merge', primaryKey: ['id'] });
    const late = await ExtractWriter.open(dir);
    await write(rows([3, '2024-02-10', 'c']), { mode: 'merge', primaryKey: ['id'] });
    await late.write('events', rows([4, '2024-02-20', 'd']), { mode: 'merge', primaryKey: ['id'] });
    await late.commit();
    expect((await tableRows()).map((x) => x.id)).toEqual([1, 2, 3, 4]);
  });

  it('refuses a key that is not a column, a key name that cannot be SQL, and columns named _aida_*', async () => {
    await expect(write(rows(...SEED), { mode: 'merge', primaryKey: ['nope'] })).rejects.toThrow(/Primary key column nope not in the batch/);
    await expect(write(rows(...SEED), { mode: 'merge', primaryKey: ['id"; DROP TABLE x; --'] })).rejects.toThrow(/Invalid primary key column/);
    await expect(write(rows(...SEED), { mode: 'merge', primaryKey: [] })).rejects.toThrow(/needs a primaryKey/);
    await expect(write(`SELECT 1 AS id, 2 AS _aida_part`, { mode: 'append' })).rejects.toThrow(/_aida_ are the writer's own/);
    expect(existsSync(join(dir, 'extract.duckdb'))).toBe(false);
  });
});

describe('partitioned writes', () => {
  it('replace: a part whose rows did not change keeps its file and hashes whatever their order; a part absent from the batch disappears', async () => {
    const first = await write(rows(...SEED), { mode: 'replace', partitionBy: MONTHLY });
    expect(first.files.map((f) => [f.part, f.rows])).toEqual([
      ['2024-01', 2],
      ['2024-02', 2],
      ['2024-03', 2],
    ]);
    const before = byPart(await filesOf());
    // The same rows in another order, but February changed, and March is gone.
    const r = await write(rows([2, '2024-01-20', 'b'], [1, '2024-01-10', 'a'], [3, '2024-02-10', 'c'], [4, '2024-02-20', 'D']), {
      mode: 'replace',
      partitionBy: MONTHLY,
    });
    expect(r.written.map((f) => f.part)).toEqual(['2024-02']);
    expect(r.removed).toEqual(['2024-03']);
    const after = byPart(await filesOf());
    expect(Object.keys(after)).toEqual(['2024-01', '2024-02']);
    expect(after['2024-01']).toEqual(before['2024-01']);
    expect(after['2024-02'].md5).not.toBe(before['2024-02'].md5);
    expect((await extract()).meta[0].rows).toBe(4);
    await expectFilesMatchBytes();
  });

  it('replace with keepUntouched: the batch replaces only the parts it holds rows for', async () => {
    await write(rows(...SEED), { mode: 'replace', partitionBy: MONTHLY });
    const before = byPart(await filesOf());
    const r = await write(rows([7, '2024-02-01', 'only feb']), { mode: 'replace', partitionBy: MONTHLY, keepUntouched: true });
    expect(r).toMatchObject({ rows: 5, removed: [] });
    const after = byPart(await filesOf());
    expect(after['2024-01']).toEqual(before['2024-01']);
    expect(after['2024-03']).toEqual(before['2024-03']);
    expect(after['2024-02'].rows).toBe(1);
    expect((await tableRows()).map((x) => x.id)).toEqual([1, 2, 5, 6, 7]);
  });

  it('replace with an empty batch leaves one empty part that keeps the columns', async () => {
    await write(rows(...SEED), { mode: 'replace', partitionBy: MONTHLY });
    const r = await write(rows(), { mode: 'replace', partitionBy: MONTHLY });
    expect(r.files.map((f) => [f.part, f.rows])).toEqual([['__empty__', 0]]);
    expect(r.removed.sort()).toEqual(['2024-01', '2024-02', '2024-03']);
    const cols = await queryRows<{ column_name: string }>(conn, `DESCRIBE SELECT * FROM read_parquet('${join(dir, r.files[0].path)}')`);
    expect(cols.map((c) => c.column_name)).toEqual(['id', 'day', 'note']);
    // Rows again: the empty part goes.
    expect((await write(rows(...SEED.slice(0, 1)), { mode: 'replace', partitionBy: MONTHLY })).files.map((f) => f.part)).toEqual(['2024-01']);
  });

  it('append: only the parts the batch touches get new files; a new part joins', async () => {
    await write(rows(...SEED), { mode: 'append', partitionBy: MONTHLY });
    const before = byPart(await filesOf());
    const r = await write(rows([7, '2024-02-25', 'g'], [8, '2024-04-01', 'h']), { mode: 'append', partitionBy: MONTHLY });
    expect(r.written.map((f) => f.part)).toEqual(['2024-02', '2024-04']);
    const after = byPart(await filesOf());
    expect(after['2024-01']).toEqual(before['2024-01']);
    expect(after['2024-03']).toEqual(before['2024-03']);
    expect([after['2024-02'].rows, after['2024-04'].rows]).toEqual([3, 1]);
    await expectFilesMatchBytes();
  });

  it('merge: only touched parts are rewritten, a moved row leaves its old part, an emptied part disappears', async () => {
    const mode: WriteMode = { mode: 'merge', primaryKey: ['id'], partitionBy: MONTHLY };
    await write(rows(...SEED), mode);
    const v1 = byPart(await filesOf());

    // A change within February: January and March keep their files and hashes.
    let r = await write(rows([4, '2024-02-20', 'D']), mode);
    expect(r.written.map((f) => f.part)).toEqual(['2024-02']);
    const v2 = byPart(await filesOf());
    expect(v2['2024-01']).toEqual(v1['2024-01']);
    expect(v2['2024-03']).toEqual(v1['2024-03']);
    expect(v2['2024-02'].md5).not.toBe(v1['2024-02'].md5);

    // Row 1 moves from January to March: both parts are rewritten, February keeps its file.
    r = await write(rows([1, '2024-03-05', 'moved']), mode);
    expect(r.written.map((f) => f.part)).toEqual(['2024-01', '2024-03']);
    const v3 = byPart(await filesOf());
    expect(v3['2024-02']).toEqual(v2['2024-02']);
    expect((await tableRows()).filter((x) => x.id === 1)).toEqual([{ id: 1, day: new Date('2024-03-05T00:00:00Z'), note: 'moved' }]);
    expect(v3['2024-01'].rows).toBe(1);

    // Deleting January's last row, and moving February's two rows out, empties both parts.
    r = await write(
      `SELECT 2 AS id, NULL::DATE AS day, NULL AS note, true AS _deleted UNION ALL BY NAME ${rows([3, '2024-04-01', 'c'], [4, '2024-04-02', 'd'])}`,
      mode,
    );
    expect(r.removed).toEqual(['2024-01', '2024-02']);
    expect(r.written.map((f) => f.part)).toEqual(['2024-04']);
    expect((await filesOf()).map((f) => [f.part, f.rows])).toEqual([
      ['2024-03', 3],
      ['2024-04', 2],
    ]);
    expect((await extract()).meta[0].rows).toBe(5);
    await expectFilesMatchBytes();

    // Deleting everything leaves the empty part, never a table without a file.
    r = await write(`SELECT id, true AS _deleted FROM range(10) t(id)`, mode);
    expect(r.files.map((f) => [f.part, f.rows])).toEqual([['__empty__', 0]]);
  });

  it('merge: within a partitioned batch the last row of a key wins even when its rows fall in different parts', async () => {
    const mode: WriteMode = { mode: 'merge', primaryKey: ['id'], partitionBy: MONTHLY };
    await write(rows(...SEED), mode);
    const r = await write(rows([5, '2024-01-01', 'to january'], [9, '2024-04-01', 'new'], [5, '2024-02-01', 'no, february']), mode);
    expect(r.written.map((f) => f.part)).toEqual(['2024-02', '2024-03', '2024-04']);
    const all = await tableRows();
    expect(all.filter((x) => x.id === 5)).toEqual([{ id: 5, day: new Date('2024-02-01T00:00:00Z'), note: 'no, february' }]);
    expect(all).toHaveLength(7);
  });

  it('parts by a column value or an SQL expression; NULL is the part __null__; a value that cannot be a part name fails the write', async () => {
    const r = await write(`SELECT * FROM (VALUES (1, 'EU'), (2, 'US'), (3, NULL)) t(id, region)`, { mode: 'replace', partitionBy: { column: 'region' } });
    expect(r.files.map((f) => f.part)).toEqual(['EU', 'US', '__null__']);
    const e = await write(`SELECT range AS id FROM range(5)`, { mode: 'append', partitionBy: { expression: `'bucket_' || (id % 2)` } }, 'buckets');
    expect(e.files.map((f) => [f.part, f.rows])).toEqual([
      ['bucket_0', 3],
      ['bucket_1', 2],
    ]);
    await expect(write(`SELECT 1 AS id, 'North America' AS region`, { mode: 'replace', partitionBy: { column: 'region' } }, 'bad')).rejects.toThrow(
      /Invalid partition name "North America"/,
    );
    await expect(write(rows(...SEED), { mode: 'replace', partitionBy: { column: 'day', granularity: 'week' as 'day' } }, 'bad')).rejects.toThrow(
      /Invalid partition granularity/,
    );
  });

  it('an unpartitioned table must be replaced once to become partitioned; a partitioned one folds into one file on an unpartitioned write', async () => {
    await write(rows(...SEED), { mode: 'replace' });
    await expect(write(rows([7, '2024-01-01', 'x']), { mode: 'merge', primaryKey: ['id'], partitionBy: MONTHLY })).rejects.toThrow(
      /is not partitioned: write it once with/,
    );
    await write(rows(...SEED), { mode: 'replace', partitionBy: MONTHLY });
    const r = await write(rows([7, '2024-01-01', 'x']), { mode: 'merge', primaryKey: ['id'] });
    expect(r.files.map((f) => [f.part, f.rows])).toEqual([[null, 7]]);
    expect(r.removed).toEqual(['2024-01', '2024-02', '2024-03']);
  });
});

describe('a failed write or commit changes nothing readers see', () => {
  async function snapshot() {
    const bytes = readFileSync(join(dir, 'extract.duckdb'));
    const { files } = await extract();
    return { bytes, files, data: Object.fromEntries(files.map((f) => [f.path, readFileSync(join(dir, f.path))])) };
  }
  async function expectUnchanged(before: Awaited<ReturnType<typeof snapshot>>) {
    expect(readFileSync(join(dir, 'extract.duckdb')).equals(before.bytes)).toBe(true);
    for (const f of before.files) expect(readFileSync(join(dir, f.path)).equals(before.data[f.path])).toBe(true);
    await expectFilesMatchBytes();
  }
  const mode: WriteMode = { mode: 'merge', primaryKey: ['id'], partitionBy: MONTHLY };

  it('a verify that throws fails the write; the table stays as it was, in the writer and on disk', async () => {
    await write(rows(...SEED), mode);
    const before = await snapshot();
    const w = await ExtractWriter.open(dir);
    await expect(
      w.write('events', rows([1, '2024-03-01', 'moved']), mode, {
        verify: async () => {
          throw new Error('rejected rows');
        },
      }),
    ).rejects.toThrow('rejected rows');
    await w.write('other', 'SELECT 1 AS x', { mode: 'replace' });
    const summary = await w.commit();
    expect(summary.written).toEqual(['other']);
    expect((await filesOf()).map((f) => f.path)).toEqual(before.files.map((f) => f.path));
    expect((await tableRows()).find((x) => x.id === 1)!.note).toBe('a');
  });

  it('an error mid-write (a row failing to convert) and an abort after a merge leave the extract byte for byte', async () => {
    await write(rows(...SEED), mode);
    const before = await snapshot();
    const w = await ExtractWriter.open(dir);
    await expect(w.write('events', `SELECT id, day, CASE WHEN id = 3 THEN error('boom') ELSE note END AS note FROM (${rows(...SEED)})`, mode)).rejects.toThrow(
      /boom/,
    );
    await w.write('events', rows([1, '2024-03-01', 'moved'], [4, '2024-02-20', 'D']), mode);
    await w.abort();
    await expectUnchanged(before);
    expect((await readdir(dir)).filter((n) => n.startsWith('.staging-'))).toEqual([]);
  });

  it('a process that dies after writing parts and before its commit leaves the previous parts and extract readable', async () => {
    await write(rows(...SEED), mode);
    const before = await snapshot();
    const script = `
      import { ExtractWriter } from '@aida/core';
      const w = await ExtractWriter.open(${JSON.stringify(dir)});
      await w.write('events', ${JSON.stringify(rows([1, '2024-03-01', 'moved'], [5, '2024-03-10', 'E']))}, ${JSON.stringify(mode)});
      process.kill(process.pid, 'SIGKILL');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: 'inherit' });
    const signal = await new Promise((res) => child.on('exit', (_code, sig) => res(sig)));
    expect(signal).toBe('SIGKILL');
    // The dead writer's parts are on disk, unlisted; its staging folder is left behind.
    expect((await readdir(dir)).some((n) => n.startsWith('.staging-'))).toBe(true);
    await expectUnchanged(before);
    // The next writer cleans up and merges into the previous version.
    const r = await write(rows([4, '2024-02-20', 'D']), mode);
    expect(r.written.map((f) => f.part)).toEqual(['2024-02']);
    expect((await readdir(dir)).filter((n) => n.startsWith('.staging-'))).toEqual([]);
    expect((await tableRows()).map((x) => `${x.id}:${x.note}`)).toEqual(['1:a', '2:b', '3:c', '4:D', '5:e', '6:f']);
  });
});

describe('write mode merge by group (replaceBy)', () => {
  // Children of a parent: (issue, comment id, month of the issue, text).
  function children(...r: [string, number, string, string][]): string {
    const v = r.map(([issue, id, day, note]) => `('${issue}', ${id}::BIGINT, DATE '${day}', '${note}')`).join(', ');
    return `SELECT * FROM (VALUES ${v}) t(issue, id, day, note)`;
  }
  const mode: WriteMode = { mode: 'merge', primaryKey: ['id'], replaceBy: ['issue'], partitionBy: MONTHLY };
  const stored = async () =>
    (
      await queryRows<{ issue: string; id: number; note: string }>(
        conn,
        `SELECT issue, id, note FROM read_parquet([${(await filesOf()).map((f) => `'${join(dir, f.path)}'`).join(', ')}]) ORDER BY id`,
      )
    ).map((r) => `${r.issue}:${r.id}:${r.note}`);

  it("replaces a group's rows: a child gone from the batch leaves, other groups and parts keep their files", async () => {
    await write(children(['A', 1, '2024-01-05', 'a1'], ['A', 2, '2024-01-05', 'a2'], ['B', 3, '2024-02-01', 'b3']), mode);
    const before = byPart(await filesOf());
    const r = await write(children(['A', 1, '2024-01-05', 'a1 edited'], ['A', 4, '2024-01-05', 'a4']), mode);
    expect(r.written.map((f) => f.part)).toEqual(['2024-01']);
    expect(await stored()).toEqual(['A:1:a1 edited', 'B:3:b3', 'A:4:a4']);
    expect(byPart(await filesOf())['2024-02']).toEqual(before['2024-02']);
    await expectFilesMatchBytes();
  });

  it('a _deleted row carrying only the group removes the group from every part; a group that moved leaves its old part', async () => {
    await write(children(['A', 1, '2024-01-05', 'a1'], ['B', 2, '2024-02-01', 'b2'], ['B', 3, '2024-03-01', 'b3'], ['C', 4, '2024-03-09', 'c4']), mode);
    let r = await write(`SELECT 'B' AS issue, true AS _deleted`, mode);
    expect(r.removed).toEqual(['2024-02']);
    expect(await stored()).toEqual(['A:1:a1', 'C:4:c4']);
    // Group A moves to April: January empties.
    r = await write(children(['A', 1, '2024-04-02', 'a1']), mode);
    expect(r.removed).toEqual(['2024-01']);
    expect((await filesOf()).map((f) => [f.part, f.rows])).toEqual([
      ['2024-03', 1],
      ['2024-04', 1],
    ]);
  });

  it('within a batch a later _deleted row removes its group, an earlier one does not; the last row per key wins', async () => {
    await write(children(['A', 1, '2024-01-05', 'old'], ['B', 2, '2024-01-06', 'old']), mode);
    const batch = `SELECT * FROM (${children(['A', 1, '2024-01-05', 'first'], ['A', 1, '2024-01-05', 'second'])}) UNION ALL BY NAME SELECT 'B' AS issue, true AS _deleted UNION ALL BY NAME (${children(['B', 5, '2024-01-06', 'after delete'])}) UNION ALL BY NAME SELECT 'A' AS issue, true AS _deleted`;
    await write(`SELECT * FROM (${batch})`, mode);
    expect(await stored()).toEqual(['B:5:after delete']);
  });

  it('refuses rows to store without the key, and a group column the batch lacks', async () => {
    await expect(write(`SELECT 'A' AS issue, DATE '2024-01-01' AS day, 'x' AS note`, mode)).rejects.toThrow(/Primary key column id not in the batch's columns/);
    await expect(write(`SELECT 'A' AS issue, DATE '2024-01-01' AS day, false AS _deleted`, mode)).rejects.toThrow(
      /Primary key column id not in the batch's columns, which holds rows to store/,
    );
    await expect(write(`SELECT 1 AS id, DATE '2024-01-01' AS day`, mode)).rejects.toThrow(/replaceBy column issue not in the batch/);
    await expect(write(children(['A', 1, '2024-01-05', 'x']), { ...mode, replaceBy: [] })).rejects.toThrow(/replaceBy names one or more columns/);
  });

  it('a batch of deletions alone on a table that does not exist yet stores an empty table', async () => {
    const r = await write(`SELECT 'A' AS issue, true AS _deleted`, { mode: 'merge', primaryKey: ['id'], replaceBy: ['issue'] });
    expect(r.rows).toBe(0);
  });
});

describe('writes of several tables at once, each on its own connection', () => {
  const monthly: WriteMode = { mode: 'merge', primaryKey: ['id'], partitionBy: { column: 'day', granularity: 'month' } };

  it('merges every table as the same writes one after another would, in one commit', async () => {
    for (const t of ['a', 'b', 'c']) await write(rows([1, '2024-01-05', `${t}1`], [2, '2024-02-05', `${t}2`]), monthly, t);
    const w = await ExtractWriter.open(dir);
    const results = await Promise.all(
      ['a', 'b', 'c'].map(async (t) => {
        const c = await w.connect();
        // A temp table of that connection: the write's SELECT runs there, not on w.connection.
        await c.run(`CREATE TEMP TABLE batch AS ${rows([2, '2024-02-05', `${t}2 again`], [3, '2024-03-05', `${t}3`])}`);
        return w.write(t, 'SELECT * FROM batch', monthly, { connection: c });
      }),
    );
    await w.commit();
    expect(results.map((r) => r.rows)).toEqual([3, 3, 3]);
    for (const t of ['a', 'b', 'c']) {
      expect((await tableRows(t)).map((r) => r.note)).toEqual([`${t}1`, `${t}2 again`, `${t}3`]);
      expect(Object.keys(byPart(await filesOf(t))).sort()).toEqual(['2024-01', '2024-02', '2024-03']);
    }
  });

  it('a write that fails on its connection leaves the others to commit, and the failed table as it was', async () => {
    for (const t of ['a', 'b']) await write(rows([1, '2024-01-05', `${t}1`]), monthly, t);
    const w = await ExtractWriter.open(dir);
    const [ok, bad] = await Promise.allSettled([
      (async () => w.write('a', rows([2, '2024-02-05', 'a2']), monthly, { connection: await w.connect() }))(),
      (async () => w.write('b', 'SELECT * FROM no_such_table', monthly, { connection: await w.connect() }))(),
    ]);
    expect(ok.status).toBe('fulfilled');
    expect(bad.status).toBe('rejected');
    await w.commit();
    expect((await tableRows('a')).map((r) => r.note)).toEqual(['a1', 'a2']);
    expect((await tableRows('b')).map((r) => r.note)).toEqual(['b1']);
  });

  it('closes the connections it handed out with the writer', async () => {
    const w = await ExtractWriter.open(dir);
    const c = await w.connect();
    await w.abort();
    await expect(c.run('SELECT 1')).rejects.toThrow();
    await expect(w.connect()).rejects.toThrow(/already committed or aborted/);
  });
});
