// The views of one sync, handed over table by table and committed together (real DuckDB).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLocalDb, ViewBatch, mainObjects } from '../src/local-db.js';
import { workspace, type Workspace } from '../src/workspace.js';

describe('ViewBatch', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = workspace({ DA_LOCAL_DIR: await mkdtemp(join(tmpdir(), 'da-views-')) });
    await mkdir(ws.parquetDir, { recursive: true });
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    for (const t of ['a', 'b', 'c']) await conn.run(`COPY (SELECT range AS id FROM range(3)) TO '${join(ws.parquetDir, `${t}.parquet`)}'`);
    conn.closeSync();
    db.closeSync();
  });
  afterEach(() => rm(ws.root, { recursive: true, force: true }));

  it('makes the views handed over in one transaction, keeps a table of the analyst and lists them in the order asked', async () => {
    const db = await openLocalDb(ws);
    try {
      await db.conn.run('CREATE TABLE B (x INT)');
      const batch = await ViewBatch.begin(db);
      batch.table('c', ['server/parquet/c.parquet'], true);
      batch.table('b', ['server/parquet/b.parquet'], true);
      batch.table('a', ['server/parquet/a.parquet'], true);
      batch.table('a', ['server/parquet/a.parquet'], true); // once per table
      expect(await batch.commit(['a', 'b', 'c'])).toEqual({ created: ['a', 'c'], dropped: [], shadowed: ['b'] });
      expect((await db.conn.runAndReadAll('SELECT count(*)::INT AS n FROM a')).getRowObjectsJS()).toEqual([{ n: 3 }]);
      expect(Object.fromEntries(await mainObjects(db.conn))).toEqual({ a: 'sync view', b: 'table', c: 'sync view' });
    } finally {
      db.close();
    }
  });

  it('commits nothing when one view fails, and says so', async () => {
    const db = await openLocalDb(ws);
    try {
      const batch = await ViewBatch.begin(db);
      batch.table('a', ['server/parquet/a.parquet'], true);
      batch.table('gone', ['server/parquet/gone.parquet'], true);
      await expect(batch.commit()).rejects.toThrow(/Rebuilding the views of analytics.duckdb failed/);
      expect(await mainObjects(db.conn)).toEqual(new Map());
    } finally {
      db.close();
    }
  });
});
