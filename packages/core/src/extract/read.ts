import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from '../duckdb.js';
import { sqlString } from '../identifiers.js';
import type { FileRow, MetaRow } from './schema.js';

/** Reads `_meta` and `_files` of an existing extract (empty when there is none). */
export async function readExtract(conn: DuckDBConnection, path: string): Promise<{ meta: MetaRow[]; files: FileRow[] }> {
  if (!existsSync(path)) return { meta: [], files: [] };
  const alias = `prev_${randomBytes(4).toString('hex')}`;
  await conn.run(`ATTACH ${sqlString(path)} AS ${alias} (READ_ONLY)`);
  try {
    const meta = await queryRows<MetaRow>(conn, `SELECT * FROM ${alias}._meta ORDER BY table_name`);
    const hasFiles = await queryRows(conn, `SELECT 1 FROM duckdb_tables() WHERE database_name = ? AND table_name = '_files'`, [alias]);
    const files = hasFiles.length ? await queryRows<FileRow>(conn, `SELECT * FROM ${alias}._files ORDER BY table_name, part`) : [];
    return { meta, files };
  } finally {
    await conn.run(`DETACH ${alias}`);
  }
}
