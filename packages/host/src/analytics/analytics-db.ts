import { existsSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { queryRows, sqlString, type FileRow } from '@aida/core';
import type { Logger } from 'pino';
import { FileLeases, type FileLease } from './file-leases.js';

/** A table of the analytics database, as the orchestrator recorded it in `_aida_tables`. */
export interface AnalyticsTable {
  table_name: string;
  source: string;
  source_type: string;
  description: string | null;
  rows: number;
  size_bytes: number;
  extracted_at: Date | null;
  query_mode: string;
}

/** A Parquet file behind a table, as the extract recorded it, but with an absolute `path`. */
export type AnalyticsFile = FileRow;

interface Generation {
  instance: DuckDBInstance;
  tables: AnalyticsTable[];
  files: Map<string, AnalyticsFile[]>;
  /** Increases with every swap; caches built from a generation key on it. */
  number: number;
  refs: number;
  retired: boolean;
  /** The Parquet files its views read, held until the generation closes. */
  lease: FileLease;
}

/**
 * Read-only access to `analytics/server.duckdb` across atomic swaps. Each swap opens the
 * new file as a new generation; queries hold a reference to the generation they started
 * on, so they finish on the old file while new queries see the new one. A retired
 * generation closes when its last query ends.
 *
 * Every open generation holds its files in `leases`, so no commit deletes a file a view of it
 * reads; downloads and the orchestrator hold theirs there too (see FileLeases).
 */
export class AnalyticsDb {
  readonly leases = new FileLeases();
  private current: Generation | null = null;
  private generations = 0;

  constructor(
    readonly path: string,
    private readonly logger: Logger,
    /** The only folders queries may read files from (the extracts); everything else is off. */
    private readonly allowedDirectories: readonly string[] = [],
  ) {}

  /** Opens the file as the current generation. Throws if it is missing or unreadable. */
  async swap(): Promise<void> {
    const next = await openGeneration(this.path, this.allowedDirectories, ++this.generations, this.leases);
    const old = this.current;
    this.current = next;
    if (old) this.retire(old);
  }

  /** True when a readable analytics database is open. */
  get isOpen(): boolean {
    return this.current !== null;
  }

  /** Tables of the current generation, kept in memory so listing them costs no query. */
  tables(): readonly AnalyticsTable[] {
    return this.current?.tables ?? [];
  }

  /** The files of a table (several for a partitioned one), from memory. */
  files(table: string): readonly AnalyticsFile[] {
    return this.current?.files.get(table.toLowerCase()) ?? [];
  }

  /** Identifies the open generation (0 when none); changes with every swap. */
  get generation(): number {
    return this.current?.number ?? 0;
  }

  /** Runs `fn` on a fresh read-only connection of the current generation. */
  async withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const { gen, release } = this.acquire();
    let conn: DuckDBConnection | undefined;
    try {
      conn = await gen.instance.connect();
      return await fn(conn);
    } finally {
      conn?.closeSync();
      release();
    }
  }

  /**
   * Keeps the current generation (and so its files) open until the returned function is
   * called: for work that reads the analytics file by itself, outside `withConnection`.
   */
  hold(): () => void {
    return this.acquire().release;
  }

  private acquire(): { gen: Generation; release: () => void } {
    const gen = this.current;
    if (!gen) throw new Error('the analytics database has not been built yet');
    gen.refs++;
    let released = false;
    return {
      gen,
      release: () => {
        if (released) return;
        released = true;
        gen.refs--;
        if (gen.retired && gen.refs === 0) this.closeGeneration(gen);
      },
    };
  }

  close(): void {
    if (this.current) this.retire(this.current);
    this.current = null;
  }

  private retire(gen: Generation): void {
    gen.retired = true;
    if (gen.refs === 0) this.closeGeneration(gen);
  }

  private closeGeneration(gen: Generation): void {
    try {
      gen.instance.closeSync();
    } catch (e) {
      this.logger.warn({ err: e }, 'closing a retired analytics database failed');
    }
    // Only once the instance is closed: nothing can read the files through it any more.
    gen.lease.release();
  }
}

/**
 * Opens the file read-only with the engine's own switches set for the whole instance: no
 * extension installs or loads, file access only below the allowed folders, configuration
 * locked so no query can undo it. (Not a sandbox by itself: the query API also checks the
 * parse tree, see data/query.)
 */
async function openGeneration(path: string, allowed: readonly string[], number: number, leases: FileLeases): Promise<Generation> {
  if (!existsSync(path)) throw new Error(`${path} does not exist`);
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY', autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  try {
    const conn = await instance.connect();
    try {
      // allowed_directories must be set before external access is disabled.
      await conn.run(`SET allowed_directories = [${allowed.map((d) => sqlString(d.endsWith('/') ? d : `${d}/`)).join(', ')}]`);
      await conn.run('SET enable_external_access = false');
      await conn.run('SET lock_configuration = true');
      const tables = await queryRows<AnalyticsTable>(conn, 'SELECT * FROM _aida_tables ORDER BY table_name');
      const files = new Map<string, AnalyticsFile[]>();
      const rows = await queryRows<AnalyticsFile>(conn, 'SELECT * FROM _aida_files ORDER BY table_name, part');
      for (const f of rows) {
        const key = f.table_name.toLowerCase();
        files.set(key, [...(files.get(key) ?? []), f]);
      }
      // The orchestrator holds these since it read the extracts (and at boot nothing deletes
      // before this generation is open), so taking hold of them here cannot come too late.
      return { instance, tables, files, number, refs: 0, retired: false, lease: leases.hold(rows.map((f) => f.path)) };
    } finally {
      conn.closeSync();
    }
  } catch (e) {
    instance.closeSync();
    throw e;
  }
}
