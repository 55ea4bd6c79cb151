// Batch rows into DuckDB temp tables with the tables' declared column types. The rows go in as
// one JSON parameter read by from_json with the table's structure: one statement per table, no
// file, and a column typed TIMESTAMPTZ, DATE or BIGINT stays so even when every value is NULL
// (a first write of all-NULL due dates must not store a VARCHAR or INTEGER column).
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteColumnName, quoteIdent, sqlString } from '@aida/core';
import { REMOTE_LINKS_TABLE, type TableDefinition } from '../transform/index.js';
import { DELETED } from './batch-rows.js';
import { readParquet } from './read-stored.js';

/** The from_json structure of a table's rows: its columns, then `_deleted` (a string literal: names need no quoting). */
function structure(table: TableDefinition): string {
  const columns: Record<string, string> = {};
  for (const c of table.columns) columns[c.name] = c.type;
  columns[DELETED] = 'BOOLEAN';
  return JSON.stringify([columns]);
}

/** Creates temp table `name` holding `rows` (JSON objects) with `table`'s columns and `_deleted`, in order. */
export async function loadBatch(conn: DuckDBConnection, name: string, table: TableDefinition, rows: readonly string[]): Promise<void> {
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${quoteIdent(name)} AS SELECT * FROM (SELECT unnest(from_json($1::JSON, ${sqlString(structure(table))}), recursive := true))`,
    [`[${rows.join(',')}]`],
  );
}

/**
 * Adds to the remote_links batch `name` the stored rows of `moved` issues, with the issue's new
 * created_at: their fetch failed, so the stored rows are kept, but in the issue's new month.
 */
export async function addMovedRemoteLinks(
  conn: DuckDBConnection,
  name: string,
  storedPaths: readonly string[],
  moved: readonly { issue_key: string; issue_created_at: string | null }[],
): Promise<void> {
  if (!moved.length || !storedPaths.length) return;
  const kept = REMOTE_LINKS_TABLE.columns.filter((c) => c.name !== 'issue_created_at').map((c) => `r.${quoteColumnName(c.name)}`);
  await conn.run(
    `INSERT INTO ${quoteIdent(name)} BY NAME
     SELECT ${kept.join(', ')}, m.issue_created_at
     FROM ${readParquet(storedPaths)} r
     JOIN (SELECT unnest(from_json($1::JSON, '[{"issue_key":"VARCHAR","issue_created_at":"TIMESTAMPTZ"}]'), recursive := true)) m ON r.issue_key = m.issue_key`,
    [JSON.stringify(moved)],
  );
}
