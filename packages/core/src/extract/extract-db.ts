// Building an extract.duckdb file (the `_meta` and `_files` tables and a view per table) and
// flushing files to disk: the two steps of a commit that make it durable.
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdent, sqlString } from '../identifiers.js';
import { insertJsonRows } from '../duckdb.js';
import { EXTRACT_SCHEMA_SQL, FILE_COLUMNS, META_COLUMNS, type FileRow, type MetaRow } from './schema.js';

/** Writes `meta` and `files` (and a view per table) into a new database file at `path`. */
export async function writeExtractDb(conn: DuckDBConnection, path: string, sourceDir: string, meta: MetaRow[], files: FileRow[]): Promise<void> {
  await conn.run(`ATTACH ${sqlString(path)} AS out`);
  try {
    await conn.run('USE out');
    await conn.run('BEGIN');
    await conn.run(EXTRACT_SCHEMA_SQL.meta);
    await conn.run(EXTRACT_SCHEMA_SQL.files);
    await insertJsonRows(conn, '_meta', META_COLUMNS, meta);
    await insertJsonRows(conn, '_files', FILE_COLUMNS, files);
    // Views for anyone who attaches the extract directly, as the reference contract has it.
    for (const m of meta) {
      const paths = files.filter((f) => f.table_name === m.table_name).map((f) => sqlString(resolve(sourceDir, f.path)));
      if (paths.length) {
        await conn.run(`CREATE VIEW ${quoteIdent(m.table_name)} AS SELECT * FROM read_parquet([${paths.join(', ')}], union_by_name = true)`);
      }
    }
    await conn.run('COMMIT');
  } finally {
    await conn.run('USE memory');
    await conn.run('DETACH out');
  }
}

/** Flushes a file (or a folder, after a rename in it) to disk, so a crash cannot lose it. */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
