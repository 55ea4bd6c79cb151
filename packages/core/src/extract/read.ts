import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from '../duckdb.js';
import { sqlString } from '../identifiers.js';
import type { FileRow, MetaRow } from './schema.js';

/**
 * `_files`, or none for an extract written by the reference platform (it has only `_meta`).
 * Asked for directly: a look at `duckdb_tables()` first costs more than the read (every
 * attached catalog is listed), and this runs on every writer open, commit and rebuild.
 */
async function readFiles(conn: DuckDBConnection, alias: string): Promise<FileRow[]> {
  try {
    return await queryRows<FileRow>(conn, `SELECT * FROM ${alias}._files ORDER BY table_name, part`);
  } catch (e) {
    if (/Table with name _files does not exist/i.test((e as Error).message)) return [];
    throw e;
  }
}

/** Reads `_meta` and `_files` of an existing extract (empty when there is none). */
export async function readExtract(conn: DuckDBConnection, path: string): Promise<{ meta: MetaRow[]; files: FileRow[] }> {
  if (!existsSync(path)) return { meta: [], files: [] };
  const alias = `prev_${randomBytes(4).toString('hex')}`;
  await conn.run(`ATTACH ${sqlString(path)} AS ${alias} (READ_ONLY)`);
  try {
    const meta = await queryRows<MetaRow>(conn, `SELECT * FROM ${alias}._meta ORDER BY table_name`);
    return { meta, files: await readFiles(conn, alias) };
  } finally {
    await conn.run(`DETACH ${alias}`);
  }
}
