// What the tables hold, read straight from their Parquet files: for the store's own decisions
// (is an upsert stale, did an issue change month) and for the jobs (listStored, key lookups).
import { resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows, quoteColumnName, sqlString, type FileRow } from '@aida/core';

export interface StoredFilter {
  keys?: readonly string[];
  /** Issues whose status category is not Done (the transform stores the category's name). */
  openOnly?: boolean;
  /** Issues updated at or after this instant. */
  updatedSince?: Date;
}

export interface StoredRow {
  key: string;
  updatedMs: number | null;
  createdMs: number | null;
  statusCategory: string | null;
  refresh: Record<string, string | null>;
  counts: { comments: number | null; attachments: number | null; issuelinks: number | null };
}

/** `read_parquet` over files whose columns are matched by name, as the table's view reads them. */
export function readParquet(paths: readonly string[]): string {
  return `read_parquet([${paths.map(sqlString).join(', ')}], union_by_name = true)`;
}

/** Absolute paths of `table`'s files (FileRow paths are relative to the source folder). */
export function tablePaths(files: readonly FileRow[], table: string, sourceDir: string): string[] {
  return files.filter((f) => f.table_name === table).map((f) => resolve(sourceDir, f.path));
}

/** A list of strings as one bound parameter: `IN (SELECT unnest(…))`. */
function stringList(param: number): string {
  return `(SELECT unnest(from_json($${param}::JSON, '["VARCHAR"]')))`;
}

/**
 * The issues in `paths` matching `filter`, by key; times as epoch milliseconds, whatever the
 * connection's TimeZone. `refreshColumns` are read too; one no file has yet (a refresh field
 * configured since) reads as NULL.
 */
export async function readStoredIssues(
  conn: DuckDBConnection,
  paths: readonly string[],
  filter: StoredFilter = {},
  refreshColumns: readonly string[] = [],
): Promise<StoredRow[]> {
  if (!paths.length || filter.keys?.length === 0) return [];
  const where: string[] = [];
  const params: string[] = [];
  if (filter.keys) {
    params.push(JSON.stringify(filter.keys));
    where.push(`issue_key IN ${stringList(params.length)}`);
  }
  if (filter.openOnly) where.push(`status_category IS DISTINCT FROM 'Done'`);
  if (filter.updatedSince) {
    params.push(filter.updatedSince.toISOString());
    where.push(`updated_at >= $${params.length}::TIMESTAMPTZ`);
  }
  const present = refreshColumns.length ? await columnsOf(conn, paths) : new Set<string>();
  const refresh = refreshColumns.map((c, i) => `${present.has(c) ? quoteColumnName(c) : 'NULL'}::VARCHAR AS "r${i}"`);
  const rows = await queryRows<Record<string, string | number | null>>(
    conn,
    `SELECT issue_key AS "key", epoch_ms(updated_at) AS "updatedMs", epoch_ms(created_at) AS "createdMs", status_category AS "statusCategory",
       comment_count AS "comments", attachment_count AS "attachments", issuelink_count AS "issuelinks"${refresh.map((r) => `, ${r}`).join('')}
     FROM ${readParquet(paths)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY issue_key`,
    params,
  );
  return rows.map((r) => ({
    key: r.key as string,
    updatedMs: r.updatedMs as number | null,
    createdMs: r.createdMs as number | null,
    statusCategory: r.statusCategory as string | null,
    refresh: Object.fromEntries(refreshColumns.map((c, i) => [c, r[`r${i}`] as string | null])),
    counts: { comments: countOf(r.comments), attachments: countOf(r.attachments), issuelinks: countOf(r.issuelinks) },
  }));
}

function countOf(v: unknown): number | null {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null;
}

async function columnsOf(conn: DuckDBConnection, paths: readonly string[]): Promise<Set<string>> {
  const rows = await queryRows<{ column_name: string }>(conn, `DESCRIBE SELECT * FROM ${readParquet(paths)}`);
  return new Set(rows.map((r) => r.column_name));
}

/** Distinct values of `want` in the rows of `paths` whose `by` column is one of `values`, with the row's `by`. */
export async function lookUp(
  conn: DuckDBConnection,
  paths: readonly string[],
  by: string,
  want: string,
  values: readonly string[],
): Promise<{ by: string; want: string }[]> {
  if (!paths.length || !values.length) return [];
  return queryRows<{ by: string; want: string }>(
    conn,
    `SELECT DISTINCT ${quoteColumnName(by)} AS "by", ${quoteColumnName(want)} AS "want" FROM ${readParquet(paths)} WHERE ${quoteColumnName(by)} IN ${stringList(1)} ORDER BY 1, 2`,
    [JSON.stringify(values)],
  );
}
