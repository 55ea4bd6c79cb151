import { copyFile, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExtractWriter, readExtract } from '@aida/core';

// readExtract keeps what it read (and what a commit wrote) while the file stays the same: these
// check that a changed file is always read again, and that no caller can alter what the next gets.
let root: string;
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
  root = await mkdtemp(join(tmpdir(), 'aida-read-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function commitTables(dir: string, tables: string[]): Promise<void> {
  const w = await ExtractWriter.open(dir);
  for (const t of tables) await w.writeTable(t, 'SELECT 1 AS id');
  await w.commit();
}
const names = async (path: string) => (await readExtract(conn, path)).meta.map((m) => m.table_name);

describe('readExtract', () => {
  it('sees an extract another process renamed into place, though it read the old one just before', async () => {
    const dir = join(root, 'shop');
    const other = join(root, 'other');
    await commitTables(dir, ['orders']);
    await commitTables(other, ['orders', 'refunds']);
    const path = join(dir, 'extract.duckdb');
    expect(await names(path)).toEqual(['orders']);
    // What another host's commit does: a new file renamed over the old one.
    await copyFile(join(other, 'extract.duckdb'), `${path}.tmp`);
    await rename(`${path}.tmp`, path);
    expect(await names(path)).toEqual(['orders', 'refunds']);
  });

  it('gives each caller its own copy', async () => {
    const dir = join(root, 'shop');
    await commitTables(dir, ['orders']);
    const path = join(dir, 'extract.duckdb');
    const first = await readExtract(conn, path);
    first.meta.pop();
    first.files.length = 0;
    const second = await readExtract(conn, path);
    expect(second.meta.map((m) => m.table_name)).toEqual(['orders']);
    expect(second.files).toHaveLength(1);
  });

  it('reads a removed extract as empty', async () => {
    const dir = join(root, 'shop');
    await commitTables(dir, ['orders']);
    const path = join(dir, 'extract.duckdb');
    expect(await names(path)).toEqual(['orders']);
    await rm(path);
    expect(await readExtract(conn, path)).toEqual({ meta: [], files: [] });
  });
});
