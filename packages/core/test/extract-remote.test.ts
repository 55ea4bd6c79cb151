import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectExtractGarbage, ConflictError, ExtractWriter, readExtract } from '@aida/core';

let root: string;
let dir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'aida-remote-'));
  dir = join(root, 'warehouse');
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function read() {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return await readExtract(conn, join(dir, 'extract.duckdb'));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** The views of the committed extract.duckdb (one per table with files). */
async function views(): Promise<string[]> {
  const db = await DuckDBInstance.create(join(dir, 'extract.duckdb'), { access_mode: 'READ_ONLY' });
  const conn = await db.connect();
  try {
    const reader = await conn.runAndReadAll('SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1');
    return reader.getRowsJS().map((r) => String(r[0]));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe('ExtractWriter.declareRemote', () => {
  it('records a _meta row with query_mode remote, no files and no view', async () => {
    const w = await ExtractWriter.open(dir);
    await w.writeTable('orders', 'SELECT range AS id FROM range(3)');
    const meta = w.declareRemote('events', { description: 'page views, kept in the warehouse', rows: 5_000_000_000, sizeBytes: 2 ** 40 });
    expect(meta).toMatchObject({ table_name: 'events', query_mode: 'remote' });
    const summary = await w.commit();
    expect(summary.written.sort()).toEqual(['events', 'orders']);
    const { meta: rows, files } = await read();
    expect(rows.map((m) => [m.table_name, m.query_mode])).toEqual([
      ['events', 'remote'],
      ['orders', 'local'],
    ]);
    expect(rows[0]).toMatchObject({ description: 'page views, kept in the warehouse', rows: 5_000_000_000, size_bytes: 2 ** 40 });
    expect(files.map((f) => f.table_name)).toEqual(['orders']);
    expect(await views()).toEqual(['orders']);
  });

  it('without sizes it records zero rows and bytes, and keeps a description given before', async () => {
    let w = await ExtractWriter.open(dir);
    w.declareRemote('events', { description: 'first' });
    await w.commit();
    w = await ExtractWriter.open(dir);
    w.declareRemote('events');
    await w.commit();
    const { meta } = await read();
    expect(meta).toEqual([expect.objectContaining({ table_name: 'events', description: 'first', rows: 0, size_bytes: 0, query_mode: 'remote' })]);
  });

  it('turns a local table remote: its files are garbage once the commit is in place', async () => {
    let w = await ExtractWriter.open(dir);
    const file = await w.writeTable('events', 'SELECT range AS id FROM range(10)');
    await w.commit();
    expect(existsSync(join(dir, file.path))).toBe(true);
    w = await ExtractWriter.open(dir);
    w.declareRemote('events');
    await w.commit();
    const { meta, files } = await read();
    expect(meta.map((m) => m.query_mode)).toEqual(['remote']);
    expect(files).toEqual([]);
    // Without a retention a commit keeps the replaced files until the next collection (queries may read them).
    expect(await collectExtractGarbage(dir)).toEqual([join(dir, file.path)]);
    expect(existsSync(join(dir, file.path))).toBe(false);
  });

  it('a remote table written later is local again, from the new rows alone (an append or merge has nothing to add to)', async () => {
    let w = await ExtractWriter.open(dir);
    w.declareRemote('events');
    w.declareRemote('clicks');
    await w.commit();
    w = await ExtractWriter.open(dir);
    await w.writeTable('events', 'SELECT range AS id FROM range(4)');
    const merged = await w.write('clicks', 'SELECT 1 AS id, 2 AS n', { mode: 'merge', primaryKey: ['id'] });
    expect(merged).toMatchObject({ rows: 1, changed: true });
    await w.commit();
    const { meta, files } = await read();
    expect(meta.map((m) => [m.table_name, m.query_mode, m.rows])).toEqual([
      ['clicks', 'local', 1],
      ['events', 'local', 4],
    ]);
    expect(files.map((f) => f.table_name).sort()).toEqual(['clicks', 'events']);
  });

  it('a remote table can be dropped, and a drop then a declaration in one writer keeps it', async () => {
    let w = await ExtractWriter.open(dir);
    w.declareRemote('events');
    w.declareRemote('sessions');
    await w.commit();
    w = await ExtractWriter.open(dir);
    w.dropTable('events');
    w.dropTable('sessions');
    w.declareRemote('sessions');
    await w.commit();
    expect((await read()).meta.map((m) => [m.table_name, m.query_mode])).toEqual([['sessions', 'remote']]);
  });

  it('is refused for invalid names, after commit, and for a table another open writer claims', async () => {
    const a = await ExtractWriter.open(dir);
    const b = await ExtractWriter.open(dir);
    expect(() => a.declareRemote('bad-name')).toThrow(/Invalid table name/);
    a.declareRemote('events');
    expect(() => b.declareRemote('events')).toThrow(ConflictError);
    await a.commit();
    await b.abort();
    expect(() => a.declareRemote('other')).toThrow(/already committed/);
  });
});
