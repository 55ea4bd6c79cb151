import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import {
  betweenCommits,
  collectExtractGarbage,
  FILE_COLUMNS,
  fsyncPath,
  insertJsonRows,
  isValidIdentifier,
  quoteIdent,
  readExtract,
  sqlString,
  type FileRow,
  type MetaRow,
  type Orchestrator,
  type OrchestratorEvent,
  type RebuildResult,
} from '@aida/core';
import type { Logger } from 'pino';
import type { AnalyticsDb } from './analytics-db.js';
import { combinedHash } from './combined-hash.js';
import { releaseAll, type FileLease } from './file-leases.js';
import type { TableSyncState } from '../state/repositories/sync.js';

interface SourceTables {
  source: string;
  tables: { meta: MetaRow; files: FileRow[] }[];
}

export interface OrchestratorOptions {
  dataDir: string;
  analytics: AnalyticsDb;
  /** Records what the new database serves (sync_state). */
  recordState: (states: TableSyncState[]) => Promise<void>;
  logger: Logger;
  /** `local`, `keboola`…, for the catalog; sources without a connector get `unknown`. */
  sourceTypeOf: (source: string) => string;
  /**
   * Runs a build holding the instance-wide lock, so hosts sharing the data dir never build at
   * once (a PostgreSQL advisory lock); in-process coalescing is enough without it.
   */
  buildLock?: <T>(build: () => Promise<T>) => Promise<T>;
  /** Tells the other hosts a new database is in place (after it is swapped in and recorded). */
  announce?: (result: RebuildResult) => void;
  /**
   * How long the files of a replaced database stay after the new one is in place: other hosts
   * still serve the old one until they hear of the new one and their queries on it end.
   */
  retainReplacedMs?: number;
  /**
   * Whether this host deletes extract files nothing reads (default true). A web host does not:
   * it sees only its own readers, and the worker's and other hosts' may still read a file.
   */
  collectsFiles?: boolean;
}

/**
 * Builds `analytics/server.duckdb`: one view per `_meta` row of every extract (a table that
 * stays at its source, `query_mode` remote, gets a row in `_aida_tables` and no view), written
 * to a temp file and renamed over the old one, so readers always find a complete database.
 * Rebuilds run one at a time; requests arriving during a rebuild share the next one.
 *
 * It also decides when extract files may go (docs/data-layout.md): a build holds the files of
 * the extracts it read from reading them until the next database is in place, and whenever
 * the last holder of a file lets go (a retired generation closing, a download ending) its
 * source is collected again.
 */
export class SyncOrchestrator implements Orchestrator {
  private readonly listeners = new Set<(e: OrchestratorEvent) => void>();
  private running: Promise<RebuildResult> | null = null;
  private pending: Promise<RebuildResult> | null = null;
  /** The files of the database last renamed into place: held until the next one is, even if opening it failed. */
  private published: FileLease[] = [];
  /** Sources with a collection queued and not yet started (one is enough for any number of releases). */
  private readonly collectQueued = new Set<string>();
  private readonly collecting = new Set<Promise<void>>();
  private builder: Promise<DuckDBInstance> | null = null;

  constructor(private readonly o: OrchestratorOptions) {
    if (o.collectsFiles === false) return;
    o.analytics.leases.onReleased((paths) => {
      for (const source of this.sourcesOf(paths)) this.collectSoon(source);
    });
  }

  private get extractsRoot(): string {
    return join(this.o.dataDir, 'extracts');
  }

  get analyticsPath(): string {
    return join(this.o.dataDir, 'analytics', 'server.duckdb');
  }

  rebuild(): Promise<RebuildResult> {
    if (!this.running) return this.startRun();
    // Coalesce: everyone who asks while a rebuild runs waits for one more, which sees their change.
    this.pending ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.pending = null;
        return this.startRun();
      });
    return this.pending;
  }

  rebuildSource(_source: string): Promise<RebuildResult> {
    // The database is written fresh every time, so one source's change means a full rebuild.
    return this.rebuild();
  }

  on(listener: (e: OrchestratorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Collects every source's files that nothing reads (those a crash or a deferred deletion
   * left behind). Run at boot once the analytics database is open, so its files are held.
   */
  async collectGarbage(): Promise<void> {
    const root = this.extractsRoot;
    if (!existsSync(root)) return;
    let sources: string[];
    try {
      sources = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory() && isValidIdentifier(e.name)).map((e) => e.name);
    } catch (e) {
      this.o.logger.warn({ err: e }, 'listing the extracts failed; their unreferenced files are collected later');
      return;
    }
    // One source after another: at boot this competes with nothing, and it keeps the load low.
    for (const s of sources) await this.collect(s);
  }

  /** Resolves once the collections started so far are over (for a clean stop and for tests). */
  async settled(): Promise<void> {
    while (this.collecting.size) await Promise.allSettled([...this.collecting]);
  }

  private collectSoon(source: string): void {
    if (this.collectQueued.has(source)) return;
    this.collectQueued.add(source);
    const run = Promise.resolve()
      .then(() => {
        // From here on a release must queue another run: this one may have read the extract already.
        this.collectQueued.delete(source);
        return this.collect(source);
      })
      .finally(() => this.collecting.delete(run));
    this.collecting.add(run);
  }

  private async collect(source: string): Promise<void> {
    try {
      const removed = await collectExtractGarbage(join(this.extractsRoot, source), { retention: this.o.analytics.leases, logger: this.o.logger });
      if (removed.length) this.o.logger.debug({ source, files: removed.length }, 'removed extract files nothing reads any more');
    } catch (e) {
      this.o.logger.warn({ err: e, source }, 'collecting unreferenced extract files failed; the next collection retries');
    }
  }

  /** The source folders (names) the given extract files are in. */
  private sourcesOf(paths: readonly string[]): Set<string> {
    const out = new Set<string>();
    for (const p of paths) {
      const [source, ...rest] = relative(this.extractsRoot, p).split(sep);
      if (rest.length && isValidIdentifier(source)) out.add(source);
    }
    return out;
  }

  /** Removes temp files a crash left behind; the live file is never touched. */
  async removeLeftovers(): Promise<void> {
    const dir = join(this.o.dataDir, 'analytics');
    if (!existsSync(dir)) return;
    for (const f of await readdir(dir)) if (f.startsWith('server.duckdb.tmp-')) await rm(join(dir, f), { force: true });
  }

  /**
   * Opens the database another host of the instance built (it announced it), and tells this
   * host's listeners as if it had built it: their caches and WebSocket clients follow.
   */
  async adopt(): Promise<void> {
    await this.o.analytics.swap();
    const tables = this.o.analytics.tables();
    const result: RebuildResult = { tables: tables.length, sources: new Set(tables.map((t) => t.source)).size, warnings: [], durationMs: 0 };
    this.emit({ type: 'rebuilt', result, at: new Date() });
  }

  private startRun(): Promise<RebuildResult> {
    const build = () => this.build();
    const run = (this.o.buildLock ? this.o.buildLock(build) : build()).then(
      (result) => {
        this.emit({ type: 'rebuilt', result, at: new Date() });
        return result;
      },
      (error: Error) => {
        this.emit({ type: 'rebuild-failed', error, at: new Date() });
        throw error;
      },
    );
    this.running = run.finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /**
   * The in-memory instance rebuilds run on: each attaches its new file, writes it and detaches
   * it. Measured about twice as fast as an instance per file (no instance start, and closing one
   * blocks the event loop while its threads stop).
   */
  private builderInstance(): Promise<DuckDBInstance> {
    this.builder ??= DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
    return this.builder;
  }

  /** Waits for a rebuild in progress, then closes the instance rebuilds run on (a later rebuild opens another). */
  async close(): Promise<void> {
    await Promise.allSettled([this.running, this.pending]);
    const builder = this.builder;
    this.builder = null;
    if (builder) (await builder).closeSync();
  }

  private async build(): Promise<RebuildResult> {
    const started = performance.now();
    const warnings: string[] = [];
    const dir = join(this.o.dataDir, 'analytics');
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `server.duckdb.tmp-${randomBytes(4).toString('hex')}`);
    let sources: SourceTables[];
    let states: TableSyncState[];
    const held: FileLease[] = [];
    try {
      const conn = await (await this.builderInstance()).connect();
      const alias = `build_${randomBytes(4).toString('hex')}`;
      try {
        await conn.run(`ATTACH ${sqlString(tmp)} AS ${alias}`);
        try {
          await conn.run(`USE ${alias}`);
          sources = await this.readSources(conn, warnings, held);
          states = await this.writeViews(conn, sources, warnings);
          await conn.run(`CHECKPOINT ${alias}`);
        } catch (e) {
          // A failure inside writeViews leaves its transaction open; the file is dropped anyway.
          await conn.run('ROLLBACK').catch(() => undefined);
          throw e;
        } finally {
          await conn.run('USE memory');
          await conn.run(`DETACH ${alias}`);
        }
      } finally {
        conn.closeSync();
      }
      await fsyncPath(tmp);
      await rename(tmp, this.analyticsPath);
    } catch (e) {
      releaseAll(held);
      await rm(tmp, { force: true });
      await rm(`${tmp}.wal`, { force: true });
      throw e;
    }
    // The file on disk is the new one now: a restart would open it, so its files stay held.
    const replaced = this.published;
    this.published = held;
    try {
      await fsyncPath(dir);
      await this.o.analytics.swap();
    } finally {
      // The database those were held for is gone from disk; the generation open on it (if
      // any) holds its own files until its last query ends. Other hosts' generations are not
      // seen from here: they get `retainReplacedMs` to move on.
      this.releaseReplaced(replaced);
    }
    await this.o.recordState(states);
    const tableCount = states.length;
    for (const w of warnings) this.o.logger.warn(w);
    const result: RebuildResult = { tables: tableCount, sources: sources.length, warnings, durationMs: Math.round(performance.now() - started) };
    this.o.logger.info({ tables: result.tables, sources: result.sources, duration_ms: result.durationMs }, 'analytics database rebuilt');
    this.o.announce?.(result);
    return result;
  }

  private releaseReplaced(replaced: FileLease[]): void {
    const ms = this.o.retainReplacedMs ?? 0;
    if (ms <= 0 || !replaced.length) return releaseAll(replaced);
    setTimeout(() => releaseAll(replaced), ms).unref();
  }

  /** Reads every extract, holding its files in `held` (taken between commits, so none is deleted before). */
  private async readSources(conn: DuckDBConnection, warnings: string[], held: FileLease[]): Promise<SourceTables[]> {
    const root = this.extractsRoot;
    if (!existsSync(root)) return [];
    const out: SourceTables[] = [];
    const entries = (await readdir(root, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    for (const source of entries) {
      const file = join(root, source, 'extract.duckdb');
      if (!existsSync(file)) continue;
      if (!isValidIdentifier(source)) {
        warnings.push(`skipped source folder ${JSON.stringify(source)}: not a valid identifier`);
        continue;
      }
      try {
        const sourceDir = join(root, source);
        const tables = await betweenCommits(sourceDir, async () => {
          // readExtract reads an unchanged extract.duckdb from memory (a commit left it there).
          const { meta, files } = await readExtract(conn, file);
          const tables = meta.map((m) => ({ meta: m, files: files.filter((f) => f.table_name === m.table_name) }));
          held.push(this.o.analytics.leases.hold(tables.flatMap((t) => t.files.map((f) => resolve(sourceDir, f.path)))));
          return tables;
        });
        out.push({ source, tables });
      } catch (e) {
        warnings.push(`skipped source '${source}': its extract.duckdb could not be read (${(e as Error).message})`);
      }
    }
    return out;
  }

  private async writeViews(conn: DuckDBConnection, sources: SourceTables[], warnings: string[]): Promise<TableSyncState[]> {
    await conn.run('BEGIN');
    await conn.run(`CREATE TABLE _aida_tables (table_name VARCHAR PRIMARY KEY, source VARCHAR, source_type VARCHAR,
      description VARCHAR, rows BIGINT, size_bytes BIGINT, extracted_at TIMESTAMP, query_mode VARCHAR)`);
    await conn.run(`CREATE TABLE _aida_files (table_name VARCHAR, part VARCHAR, path VARCHAR, rows BIGINT,
      size_bytes BIGINT, md5 VARCHAR, sha256 VARCHAR, written_at TIMESTAMP)`);
    const owner = new Map<string, string>();
    const states: TableSyncState[] = [];
    const tableRows: Record<keyof typeof TABLE_COLUMNS, unknown>[] = [];
    const fileRows: Record<keyof typeof FILE_COLUMNS, unknown>[] = [];
    const tableRow = (name: string, source: string, meta: MetaRow, query_mode: string) => ({
      table_name: name,
      source,
      source_type: this.o.sourceTypeOf(source),
      description: meta.description,
      rows: meta.rows,
      size_bytes: meta.size_bytes,
      extracted_at: meta.extracted_at,
      query_mode,
    });
    for (const { source, tables } of sources) {
      const sourceDir = join(this.o.dataDir, 'extracts', source);
      for (const { meta, files } of tables) {
        const name = meta.table_name;
        if (!isValidIdentifier(name)) {
          warnings.push(`skipped table ${JSON.stringify(name)} of source '${source}': not a valid identifier`);
          continue;
        }
        const lower = name.toLowerCase();
        if (owner.has(lower)) {
          warnings.push(`skipped table '${name}' of source '${source}': source '${owner.get(lower)}' already provides a table of that name`);
          continue;
        }
        if (meta.query_mode === 'remote') {
          // Its rows stay at the source: listed for the catalog and the access checks, with no
          // view (nothing here could read it) and no files; the source's engine queries it.
          owner.set(lower, source);
          tableRows.push(tableRow(name, source, meta, 'remote'));
          continue;
        }
        if (!files.length) {
          warnings.push(
            `skipped table '${name}' of source '${source}': its extract records no Parquet files (declare a table that stays at its source with writer.declareRemote)`,
          );
          continue;
        }
        const paths = files.map((f) => resolve(sourceDir, f.path));
        const from = paths.length === 1 ? sqlString(paths[0]) : `[${paths.map(sqlString).join(', ')}], union_by_name = true`;
        await conn.run(`CREATE VIEW ${quoteIdent(name)} AS SELECT * FROM read_parquet(${from})`);
        owner.set(lower, source);
        tableRows.push(tableRow(name, source, meta, meta.query_mode));
        files.forEach((f, i) => fileRows.push({ ...f, table_name: name, path: paths[i] }));
        states.push({
          table_id: name,
          source,
          last_sync: meta.extracted_at,
          rows: meta.rows,
          file_size_bytes: meta.size_bytes,
          hash: files.length === 1 ? files[0].md5 : combinedHash(files.map((f) => f.md5)),
          sha256: files.length === 1 ? files[0].sha256 : combinedHash(files.map((f) => f.sha256)),
        });
      }
    }
    await insertJsonRows(conn, '_aida_tables', TABLE_COLUMNS, tableRows);
    await insertJsonRows(conn, '_aida_files', FILE_COLUMNS, fileRows);
    await conn.run('COMMIT');
    return states;
  }

  private emit(e: OrchestratorEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.o.logger.warn({ err }, 'orchestrator listener failed');
      }
    }
  }
}

/** The columns of `_aida_tables` with their types (`_aida_files` has the extract's `_files` columns). */
const TABLE_COLUMNS = {
  table_name: 'VARCHAR',
  source: 'VARCHAR',
  source_type: 'VARCHAR',
  description: 'VARCHAR',
  rows: 'BIGINT',
  size_bytes: 'BIGINT',
  extracted_at: 'TIMESTAMP',
  query_mode: 'VARCHAR',
} as const;
