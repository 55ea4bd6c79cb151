import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExtractWriter, queryRows, readExtract } from '@aida/core';

let root: string;
let dir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'aida-writer-'));
  dir = join(root, 'shop');
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function read(path = join(dir, 'extract.duckdb')) {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return await readExtract(conn, path);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe('ExtractWriter', () => {
  it('writes Parquet, _meta and _files with MD5 and SHA-256 of the exact bytes and the row count', async () => {
    const w = await ExtractWriter.open(dir);
    const f = await w.writeTable('orders', 'SELECT range AS id, range * 2 AS amount FROM range(1234)', { description: 'all orders' });
    const summary = await w.commit();
    expect(summary.written).toEqual(['orders']);
    const bytes = readFileSync(join(dir, f.path));
    expect(f.md5).toBe(createHash('md5').update(bytes).digest('hex'));
    expect(f.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(f.size_bytes).toBe(bytes.length);
    expect(f.rows).toBe(1234);
    const { meta, files } = await read();
    expect(meta).toHaveLength(1);
    expect(meta[0]).toMatchObject({ table_name: 'orders', description: 'all orders', rows: 1234, size_bytes: bytes.length, query_mode: 'local' });
    expect(files[0]).toMatchObject({ table_name: 'orders', part: null, md5: f.md5, rows: 1234 });
  });

  it('keeps tables it did not rewrite and their files', async () => {
    let w = await ExtractWriter.open(dir);
    await w.writeTable('a', 'SELECT 1 AS x');
    await w.writeTable('b', 'SELECT 2 AS x');
    await w.commit();
    w = await ExtractWriter.open(dir);
    await w.writeTable('b', 'SELECT 3 AS x UNION ALL SELECT 4');
    await w.commit();
    const { meta, files } = await read();
    expect(meta.map((m) => [m.table_name, m.rows])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    for (const f of files) expect(existsSync(join(dir, f.path))).toBe(true);
  });

  it('an aborted or failed write leaves the previous extract byte for byte', async () => {
    let w = await ExtractWriter.open(dir);
    await w.writeTable('a', 'SELECT 1 AS x');
    await w.commit();
    const before = readFileSync(join(dir, 'extract.duckdb'));
    w = await ExtractWriter.open(dir);
    await w.writeTable('a', 'SELECT 2 AS x');
    await expect(w.writeTable('c', "SELECT * FROM read_csv('/nonexistent/file.csv')")).rejects.toThrow();
    await w.abort();
    expect(readFileSync(join(dir, 'extract.duckdb')).equals(before)).toBe(true);
    expect((await readdir(dir)).filter((f) => f.startsWith('.staging'))).toEqual([]);
    const { meta } = await read();
    expect(meta.map((m) => m.rows)).toEqual([1]);
  });

  it('rejects invalid table and partition names and a source folder that is not an identifier', async () => {
    const w = await ExtractWriter.open(dir);
    await expect(w.writeTable('bad-name', 'SELECT 1')).rejects.toThrow(/Invalid table name/);
    await expect(w.writeTable('x"; DROP TABLE _meta; --', 'SELECT 1')).rejects.toThrow(/Invalid table name/);
    await expect(w.writeTableParts('t', [{ part: '../escape', selectSql: 'SELECT 1' }])).rejects.toThrow(/Invalid partition name/);
    await w.abort();
    await expect(ExtractWriter.open(join(root, 'not-valid'))).rejects.toThrow(/Invalid source name/);
  });

  it('lets writers of one source run at once: each commit keeps the tables the others committed', async () => {
    const seed = await ExtractWriter.open(dir);
    await seed.writeTable('base', 'SELECT 1 AS id');
    await seed.commit();
    const a = await ExtractWriter.open(dir);
    const b = await ExtractWriter.open(dir);
    const fa = await a.writeTable('alpha', 'SELECT range AS id FROM range(10)');
    const fb = await b.writeTable('beta', 'SELECT range AS id FROM range(20)');
    // a commits first; its garbage collection must not take b's file, written but not committed.
    await a.commit();
    expect(existsSync(join(dir, fb.path))).toBe(true);
    const summary = await b.commit();
    expect(summary.tables.map((t) => t.table_name)).toEqual(['alpha', 'base', 'beta']);
    const { meta, files } = await read();
    expect(meta.map((m) => [m.table_name, m.rows])).toEqual([
      ['alpha', 10],
      ['base', 1],
      ['beta', 20],
    ]);
    expect(files.map((f) => f.path).sort()).toEqual(expect.arrayContaining([fa.path, fb.path]));
    for (const f of files) expect(existsSync(join(dir, f.path))).toBe(true);
    // No staging folder is left behind by either.
    expect((await readdir(dir)).filter((n) => n.startsWith('.staging-'))).toEqual([]);
  });

  it('commits of concurrent writers never undo each other, whatever order they finish in', async () => {
    const writers = await Promise.all(Array.from({ length: 6 }, () => ExtractWriter.open(dir)));
    await Promise.all(
      writers.map(async (w, i) => {
        await w.writeTable(`t${i}`, `SELECT range AS id FROM range(${i + 1})`);
        await w.commit();
      }),
    );
    const { meta } = await read();
    expect(meta.map((m) => [m.table_name, m.rows])).toEqual(Array.from({ length: 6 }, (_, i) => [`t${i}`, i + 1]));
  });

  it('refuses a table another open writer of the source is writing, and frees it on commit or abort', async () => {
    const a = await ExtractWriter.open(dir);
    const b = await ExtractWriter.open(dir);
    await a.writeTable('orders', 'SELECT 1 AS id');
    await expect(b.writeTable('orders', 'SELECT 2 AS id')).rejects.toThrow(/Table 'orders' of source 'shop' is being extracted by another run/);
    expect(() => b.dropTable('orders')).toThrow(/being extracted by another run/);
    await a.abort();
    await b.writeTable('orders', 'SELECT 2 AS id');
    await b.commit();
    expect((await read()).meta.map((m) => m.rows)).toEqual([1]);
  });

  it('a dropped table leaves the extract while tables committed meanwhile by others stay', async () => {
    const seed = await ExtractWriter.open(dir);
    await seed.writeTable('old', 'SELECT 1 AS id');
    await seed.commit();
    const dropper = await ExtractWriter.open(dir);
    const other = await ExtractWriter.open(dir);
    dropper.dropTable('old');
    await other.writeTable('fresh', 'SELECT 2 AS id');
    await other.commit();
    await dropper.commit();
    expect((await read()).meta.map((m) => m.table_name)).toEqual(['fresh']);
  });

  it('writes partitions, keeps unchanged parts, and garbage-collects files two generations old', async () => {
    let w = await ExtractWriter.open(dir);
    await w.writeTableParts('events', [
      { part: '2024-01', selectSql: 'SELECT 1 AS id' },
      { part: '2024-02', selectSql: 'SELECT 2 AS id UNION ALL SELECT 3' },
    ]);
    const first = await w.commit();
    w = await ExtractWriter.open(dir);
    await w.writeTableParts('events', [{ part: '2024-02', selectSql: 'SELECT 4 AS id' }]);
    await w.commit();
    w = await ExtractWriter.open(dir);
    await w.writeTableParts('events', [{ part: '2024-02', selectSql: 'SELECT 5 AS id' }]);
    const third = await w.commit();
    expect(third.files.map((f) => [f.part, f.rows])).toEqual([
      ['2024-01', 1],
      ['2024-02', 1],
    ]);
    const jan = first.files.find((f) => f.part === '2024-01')!;
    expect(third.files.find((f) => f.part === '2024-01')!.path).toBe(jan.path);
    const oldFeb = first.files.find((f) => f.part === '2024-02')!;
    expect(existsSync(join(dir, oldFeb.path))).toBe(false);
    const db = await DuckDBInstance.create(join(dir, 'extract.duckdb'), { access_mode: 'READ_ONLY' });
    const conn = await db.connect();
    expect(await queryRows(conn, 'SELECT id FROM events ORDER BY id')).toEqual([{ id: 1 }, { id: 5 }]);
    conn.closeSync();
    db.closeSync();
  });
});

describe('readExtract of an extract the reference platform wrote (only _meta)', () => {
  it('lists its tables with no files, and a writer commits over it with _files', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true });
    const db = await DuckDBInstance.create(join(dir, 'extract.duckdb'));
    const conn = await db.connect();
    await conn.run(
      `CREATE TABLE _meta (table_name VARCHAR NOT NULL, description VARCHAR, rows BIGINT, size_bytes BIGINT, extracted_at TIMESTAMP, query_mode VARCHAR)`,
    );
    await conn.run(`INSERT INTO _meta VALUES ('old', NULL, 3, 100, TIMESTAMP '2024-01-01 00:00:00', 'local')`);
    conn.closeSync();
    db.closeSync();
    const before = await read();
    expect(before.meta.map((m) => m.table_name)).toEqual(['old']);
    expect(before.files).toEqual([]);
    const w = await ExtractWriter.open(dir);
    await w.writeTable('fresh', 'SELECT 1 AS x');
    await w.commit();
    const after = await read();
    expect(after.files.map((f) => f.table_name)).toEqual(['fresh']);
  });
});
