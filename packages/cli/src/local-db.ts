// The analyst's own DuckDB (user/duckdb/analytics.duckdb): one view per synced table over
// server/parquet, next to whatever tables and views the analyst creates. Syncing replaces
// only the views it made; a table of the analyst's is never dropped or replaced.
// Views use paths relative to the workspace root, so the workspace can move: `da` sets
// file_search_path; the DuckDB CLI started in the workspace root finds them too.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBResultReader } from '@duckdb/node-api';
import { dataError } from './errors.js';
import type { Workspace } from './workspace.js';
import type { Row } from './render.js';
import { sqlString } from '@aida/core';

export interface LocalDb {
  conn: DuckDBConnection;
  close(): void;
}

export async function openLocalDb(ws: Workspace): Promise<LocalDb> {
  await mkdir(dirname(ws.duckdbPath), { recursive: true });
  let instance: DuckDBInstance;
  try {
    // Loaded on first use: the native module costs ~200 ms, which commands that never open
    // the local database (and a sync with nothing to do) should not pay.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    instance = await DuckDBInstance.create(ws.duckdbPath);
  } catch (e) {
    const msg = (e as Error).message;
    const hint = /lock/i.test(msg) ? 'another program (a DuckDB shell, a notebook) has the database open; close it and retry' : undefined;
    throw dataError(`Cannot open ${ws.duckdbPath}: ${msg}`, hint);
  }
  const conn = await instance.connect();
  await conn.run(`SET file_search_path = ${sqlString(ws.root)}`);
  return {
    conn,
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

export { sqlString };
/** Any name quoted as an identifier (an analyst's own table may be named anything); core's quoteIdent accepts valid identifiers only. */
export const sqlIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

export interface ViewChanges {
  /** Every synced table with its files (relative paths), in the order of its parts. */
  synced: Map<string, string[]>;
  /** Tables whose files changed in this sync (their views are recreated). */
  changed: Set<string>;
  /** Tables no longer synced (their views are dropped, never a table of the same name). */
  removed: string[];
}

export interface ViewResult {
  created: string[];
  dropped: string[];
  /** Synced tables left without a view because the analyst has a table of that name. */
  shadowed: string[];
}

/** The comment on every view `da sync` makes: only views carrying it are ever replaced or dropped. */
export const SYNC_VIEW_MARK = 'da sync: view over server/parquet';

export async function rebuildViews(db: LocalDb, c: ViewChanges): Promise<ViewResult> {
  const objects = await mainObjects(db.conn);
  const out: ViewResult = { created: [], dropped: [], shadowed: [] };
  const statements: string[] = [];
  for (const [id, files] of c.synced) {
    const kind = objects.get(id.toLowerCase());
    // A table or view of the analyst's (names are case-insensitive in DuckDB) is never touched.
    if (kind === 'table' || kind === 'own view') {
      out.shadowed.push(id);
      continue;
    }
    if (kind === 'sync view' && !c.changed.has(id)) continue;
    const source = files.length === 1 ? sqlString(files[0]) : `[${files.map(sqlString).join(', ')}]`;
    statements.push(`CREATE OR REPLACE VIEW ${sqlIdent(id)} AS SELECT * FROM read_parquet(${source})`);
    statements.push(`COMMENT ON VIEW ${sqlIdent(id)} IS ${sqlString(SYNC_VIEW_MARK)}`);
    out.created.push(id);
  }
  for (const id of c.removed) {
    if (objects.get(id.toLowerCase()) !== 'sync view') continue;
    statements.push(`DROP VIEW ${sqlIdent(id)}`);
    out.dropped.push(id);
  }
  if (!statements.length) return out;
  await db.conn.run('BEGIN TRANSACTION');
  try {
    for (const s of statements) await db.conn.run(s);
    await db.conn.run('COMMIT');
  } catch (e) {
    await db.conn.run('ROLLBACK').catch(() => undefined);
    throw dataError(`Rebuilding the views of analytics.duckdb failed: ${(e as Error).message}`);
  }
  return out;
}

/** Tables and views of the main schema by lower-cased name: the analyst's, or views da made. */
export async function mainObjects(conn: DuckDBConnection): Promise<Map<string, 'table' | 'own view' | 'sync view'>> {
  const r = await conn.runAndReadAll(
    `
    SELECT table_name AS name, 'table' AS kind FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'
    UNION ALL
    SELECT view_name, CASE WHEN comment = ? THEN 'sync view' ELSE 'own view' END
    FROM duckdb_views() WHERE NOT internal AND database_name = current_database() AND schema_name = 'main'`,
    [SYNC_VIEW_MARK],
  );
  return new Map(r.getRowObjectsJS().map((row) => [String(row.name).toLowerCase(), row.kind as 'table' | 'own view' | 'sync view']));
}

export interface QueryResult {
  columns: { name: string; type: string }[];
  rows: Row[];
  row_count: number;
  truncated: boolean;
}

/**
 * Runs any statement the analyst writes; at most `limit` rows are read back (0: all).
 * `total_rows` is how many the statement produced: DuckDB materializes the result anyway,
 * so knowing it costs nothing (a terminal is told how many rows it was not shown).
 */
/**
 * Dates, times, intervals and blobs read best as DuckDB prints them ('2025-01-02', '3 days'),
 * not as JS Dates at UTC midnight; everything else as plain JS values. One rule for `da query`
 * and `da mcp`, so both answer the same values.
 */
export const readsAsText = (type: string): boolean => /^(DATE|TIME|TIMESTAMP|INTERVAL|BLOB)/.test(type);

/** A row as the analyst sees it: `js` values, with the `textual` columns taken from DuckDB's own text of `raw`. */
export function localRow(js: readonly unknown[], raw: readonly unknown[], textual: readonly boolean[]): unknown[] {
  return js.map((v, j) => (textual[j] && v !== null ? String(raw[j]) : v));
}

export async function runLocalQuery(db: LocalDb, sql: string, limit: number): Promise<QueryResult & { total_rows: number }> {
  let reader: DuckDBResultReader;
  let total: number;
  try {
    const { DuckDBResultReader } = await import('@duckdb/node-api');
    const result = await db.conn.run(sql);
    total = result.rowCount;
    reader = new DuckDBResultReader(result);
    await (limit > 0 ? reader.readUntil(limit) : reader.readAll());
  } catch (e) {
    const msg = (e as Error).message;
    const missing = /Table with name (\S+) does not exist/.exec(msg);
    throw dataError(msg, missing ? `da sync brings the tables you may read; da status --local lists what is here` : undefined);
  }
  const names = reader.columnNames();
  const types = reader.columnTypes().map((t) => t.toString());
  const textual = types.map(readsAsText);
  const raw = textual.some(Boolean) ? reader.getRows() : [];
  const all = (reader.getRowsJS() as Row[]).map((r, i) => (raw.length ? localRow(r, raw[i]!, textual) : r));
  const truncated = limit > 0 && total > limit;
  const rows = limit > 0 && all.length > limit ? all.slice(0, limit) : all;
  return { columns: names.map((name, i) => ({ name, type: types[i] })), rows, row_count: rows.length, truncated, total_rows: total };
}
