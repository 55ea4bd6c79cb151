// The analyst's own DuckDB (user/duckdb/analytics.duckdb): one view per synced table over
// server/parquet, next to whatever tables and views the analyst creates. Syncing replaces
// only the views it made; a table of the analyst's is never dropped or replaced.
// Views use paths relative to the workspace root, so the workspace can move: `da` sets
// file_search_path; the DuckDB CLI started in the workspace root finds them too.
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBResultReader } from '@duckdb/node-api';
import { dataError } from './errors.js';
import type { Workspace } from './workspace.js';
import type { Row } from './render.js';

export interface LocalDb {
  conn: DuckDBConnection;
  /** @aida/core's sqlString (kept here for the modules that take the database). */
  sqlString(value: string): string;
  close(): void;
}

export async function openLocalDb(ws: Workspace): Promise<LocalDb> {
  await mkdir(dirname(ws.duckdbPath), { recursive: true });
  let instance: DuckDBInstance;
  const { sqlString } = await import('@aida/core/light');
  try {
    // Loaded on first use: the native module costs ~200 ms, which commands that never open
    // the local database (and a sync with nothing to do) should not pay.
    const { DuckDBInstance } = duckdb();
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
    sqlString,
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * @duckdb/node-api, loaded with require(): it is CommonJS, and import() of it ran Node's export
 * lexer over each of its re-exporting files first — 360–660 ms against 120–150 ms (a `--cpu-prof`
 * of `da sync` of one table showed it stalling the download it overlaps).
 */
function duckdb(): typeof import('@duckdb/node-api') {
  return createRequire(import.meta.url)('@duckdb/node-api') as typeof import('@duckdb/node-api');
}

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
  const batch = await ViewBatch.begin(db);
  for (const [id, files] of c.synced) batch.table(id, files, c.changed.has(id));
  for (const id of c.removed) batch.drop(id);
  return batch.commit();
}

/**
 * The views of one sync, made in one transaction: `da sync` hands each table over as soon as
 * its files are in place, so DuckDB binds its view (reading the Parquet footers, ~1 ms a
 * table) while other files still download, instead of 1,000 views after the last download.
 */
export class ViewBatch {
  private readonly result: ViewResult = { created: [], dropped: [], shadowed: [] };
  private readonly seen = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private statements = 0;
  private pending: string[] = [];

  private constructor(
    private readonly db: LocalDb,
    private readonly objects: Map<string, 'table' | 'own view' | 'sync view'>,
  ) {}

  static async begin(db: LocalDb): Promise<ViewBatch> {
    const objects = await mainObjects(db.conn);
    await db.conn.run('BEGIN TRANSACTION');
    return new ViewBatch(db, objects);
  }

  /** The view of a synced table over its files (relative paths, in part order); `changed`: its files changed. Once per table. */
  table(id: string, files: readonly string[], changed: boolean): void {
    if (this.seen.has(id)) return;
    this.seen.add(id);
    const kind = this.objects.get(id.toLowerCase());
    // A table or view of the analyst's (names are case-insensitive in DuckDB) is never touched.
    if (kind === 'table' || kind === 'own view') {
      this.result.shadowed.push(id);
      return;
    }
    if (kind === 'sync view' && !changed) return;
    const sqlString = this.db.sqlString;
    const source = files.length === 1 ? sqlString(files[0]) : `[${files.map(sqlString).join(', ')}]`;
    this.run([
      `CREATE OR REPLACE VIEW ${sqlIdent(id)} AS SELECT * FROM read_parquet(${source})`,
      `COMMENT ON VIEW ${sqlIdent(id)} IS ${sqlString(SYNC_VIEW_MARK)}`,
    ]);
    this.result.created.push(id);
  }

  /** Drops the view of a table no longer synced (never a table or view of the analyst's). */
  drop(id: string): void {
    if (this.objects.get(id.toLowerCase()) !== 'sync view') return;
    this.run([`DROP VIEW ${sqlIdent(id)}`]);
    this.result.dropped.push(id);
  }

  /** Commits every view, or none when one failed. `order` sorts the lists (tables arrive as their downloads end). */
  async commit(order?: readonly string[]): Promise<ViewResult> {
    await this.queue;
    if (this.failure) {
      await this.db.conn.run('ROLLBACK').catch(() => undefined);
      throw dataError(`Rebuilding the views of analytics.duckdb failed: ${this.failure.message}`);
    }
    await this.db.conn.run(this.statements ? 'COMMIT' : 'ROLLBACK');
    if (order) {
      const at = new Map(order.map((id, i) => [id, i]));
      for (const list of [this.result.created, this.result.shadowed]) list.sort((a, b) => (at.get(a) ?? 0) - (at.get(b) ?? 0));
    }
    return this.result;
  }

  /**
   * Statements queued while DuckDB runs the previous ones go in one call: DuckDB's own cost is
   * ~0.3 ms a statement either way, the calls' cost (~0.1 ms each) is saved.
   */
  private run(statements: string[]): void {
    this.statements += statements.length;
    const first = !this.pending.length;
    this.pending.push(...statements);
    if (!first) return;
    this.queue = this.queue.then(async () => {
      const sql = this.pending.splice(0).join(';\n');
      if (this.failure) return;
      try {
        await this.db.conn.run(sql);
      } catch (e) {
        this.failure = e as Error;
      }
    });
  }
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
    const { DuckDBResultReader } = duckdb();
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
