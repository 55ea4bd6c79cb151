// The tables on this laptop as agents see them, from files `da sync` left: the sync state (rows,
// freshness), server/catalog.json (description, source, bucket), server/profiles.json (column
// facts) and the columns of the views in analytics.duckdb. Read by `da mcp` and by the agent
// context file; needs no server.
import type { DuckDBConnection } from '@duckdb/node-api';
import { describeColumn, profileSummary, tableProfileSchema, type McpTableDescription, type TableProfileFacts } from '@aida/core';
import type { ProfilesFile } from '../profiles-file.js';
import { summary, type LocalCatalog, type LocalTable } from './local-tables.js';

export { catalogVersion, loadLocalCatalog, summary, type LocalCatalog, type LocalTable } from './local-tables.js';

/** The profile `da sync` saved for a table; undefined when there is none or it is not a profile. */
export function savedProfile(file: ProfilesFile, id: string): TableProfileFacts | undefined {
  const parsed = tableProfileSchema.safeParse(file.get(id));
  return parsed.success ? parsed.data : undefined;
}

export type ColumnsByTable = Map<string, { name: string; type: string }[]>;

/** The columns of the main schema's tables and views, by lower-cased name (all of them, or those of table `id`). */
export async function localColumns(conn: DuckDBConnection, id?: string): Promise<ColumnsByTable> {
  const only = id === undefined ? '' : ' AND lower(table_name) = ?';
  const r = await conn.runAndReadAll(
    `SELECT lower(table_name) AS t, column_name AS name, data_type AS type FROM duckdb_columns()
     WHERE database_name = current_database() AND schema_name = 'main'${only} ORDER BY t, column_index`,
    id === undefined ? [] : [id.toLowerCase()],
  );
  const out: ColumnsByTable = new Map();
  for (const row of r.getRowObjectsJS()) {
    const t = String(row.t);
    if (!out.has(t)) out.set(t, []);
    out.get(t)!.push({ name: String(row.name), type: String(row.type) });
  }
  return out;
}

/**
 * describe_table's answer for a synced table. Columns come from the local database (what a
 * query sees); without it (the database could not be opened), from the saved profile.
 */
export function describeLocalTable(
  t: LocalTable,
  catalog: LocalCatalog,
  columns: { name: string; type: string }[] | undefined,
  profile: TableProfileFacts | undefined,
): McpTableDescription {
  const cols = columns ?? profile?.columns.map((c) => ({ name: c.name, type: c.type })) ?? [];
  return {
    ...summary(t),
    synced_at: catalog.synced_at,
    columns: cols.map((c) => describeColumn(c.name, c.type, profile)),
    profile: profileSummary(profile),
  };
}
