import type { DuckDBValue } from '@duckdb/node-api';
import type { PlainValue } from '../duckdb.js';

/**
 * The values of a statement's `?` parameters, in order: what DuckDB binds, or a list of text
 * (cast it, `?::VARCHAR[]`), which each backend binds as its own array type.
 */
export type SystemSqlParams = readonly (DuckDBValue | readonly string[])[];

/**
 * Statements a plugin runs on the host's system database, which is DuckDB or PostgreSQL
 * (`state.backend`): SQL in the dialect the two share, with `?` parameters. BLOBs (BYTEA) come
 * back as bytes, lists as arrays, JSON as text.
 */
export interface SqlStatements {
  all<T = Record<string, PlainValue>>(sql: string, params?: SystemSqlParams): Promise<T[]>;
  /** Runs a statement; resolves with the number of rows it changed. */
  run(sql: string, params?: SystemSqlParams): Promise<number>;
}

/** One step of a plugin's schema: applied once, in version order, in its own transaction. */
export interface PluginMigration {
  version: number;
  name: string;
  statements: readonly string[];
}

/**
 * A plugin's tables in the host's system database (`state/system.duckdb`, or PostgreSQL), so its state is
 * backed up, restored and moved with the rest. Name every table `<pluginId>_…`: the host's
 * own tables and other plugins' live in the same database. Statements run one at a time
 * behind the host's own; a transaction has the connection to itself while it runs.
 */
export interface PluginDatabase extends SqlStatements {
  /** BEGIN … COMMIT around `fn`; rolled back when it throws. */
  transaction<T>(fn: (tx: SqlStatements) => Promise<T>): Promise<T>;
  /**
   * Brings the plugin's tables to its newest version; the versions applied are recorded per
   * plugin. A database written by a newer version of the plugin is refused. Call it in `init`.
   */
  migrate(migrations: readonly PluginMigration[]): Promise<{ from: number; to: number; applied: number[] }>;
}

/** An analyst's notes (`CLAUDE.local.md`) as `da sync` uploaded them. */
export interface AnalystNote {
  userId: string;
  email: string;
  content: string;
  /** SHA-256 hex of the content: what changed since the last look. */
  sha256: string;
  updatedAt: Date;
}

/** The notes analysts uploaded (`POST /api/upload/local-md`), one per user, for plugins that learn from them. */
export interface AnalystNotes {
  list(): Promise<AnalystNote[]>;
}
