import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { ConflictError } from '../errors.js';
import { assertIdentifier, sqlString } from '../identifiers.js';
import { dropBatch, stageBatch } from './batch.js';
import { sweep } from './garbage.js';
import { fsyncPath, writeExtractDb } from './extract-db.js';
import { digestFile } from './hash.js';
import { checkMode, type WriteMode, type WriteResult } from './modes.js';
import { assertPartNames, byPart, EMPTY_PART } from './partitions.js';
import { planWrite } from './plan.js';
import { readExtract, rememberCommitted, type ExtractContent } from './read.js';
import type { FileRetention } from './retention.js';
import type { FileRow, MetaRow } from './schema.js';
import { serialize, sourceState } from './sources.js';

export interface WriterOptions {
  logger?: Logger;
  /**
   * Readers outside the extract (the host's analytics databases and downloads): a file they
   * retain is never deleted by this writer's commit. Without one, the files of the extract a
   * commit replaces are kept until the next commit, so queries that started on them can finish.
   */
  retention?: FileRetention;
}

export interface TableOptions {
  description?: string | null;
  /**
   * Runs on the write's connection after the data was copied and before the table is replaced;
   * throwing discards the new file and keeps the previous version (e.g. to fail on rejected CSV rows).
   */
  verify?: (connection: DuckDBConnection) => Promise<void>;
  /**
   * The connection the SELECT runs on: one from `writer.connect()`, so that writes of different
   * tables can run at once (a DuckDB connection runs one statement at a time). The writer's
   * `connection` when omitted. Temp tables are per connection: the SELECT sees that connection's.
   */
  connection?: DuckDBConnection;
}

export interface RemoteTableOptions {
  description?: string | null;
  /** Rows the source reports for the table (0 when unknown). */
  rows?: number;
  /** Bytes the source reports for the table (0 when unknown). */
  sizeBytes?: number;
}

export interface CommitSummary {
  source: string;
  tables: MetaRow[];
  files: FileRow[];
  /** Tables written in this transaction (others were carried over from the previous extract). */
  written: string[];
}

/**
 * Writes one source's `extract.duckdb` and Parquet files as a transaction.
 *
 * Parquet files are content-addressed (`data/<table>.<sha256 prefix>.parquet`), so a new
 * file never overwrites a live one; `extract.duckdb` is built in a temp file and renamed
 * over the old one on `commit()`. A crash or an `abort()` at any point therefore leaves the
 * previous extract intact and readable. After the rename the commit deletes the files no
 * longer listed, except those an open writer put in place and those the `retention` the host
 * gave it still retains (a published analytics database or a download reads them); the host
 * collects those later, when its readers let go (`collectExtractGarbage`).
 *
 * Several writers of one source may be open at once, each writing its own tables: `commit()`
 * applies the tables this writer wrote or dropped to the extract as it is on disk at that
 * moment (commits of a source run one at a time), so concurrent commits never undo each other.
 * Writing a table another open writer has written is a ConflictError.
 */
export class ExtractWriter {
  private readonly tables = new Map<string, { meta: MetaRow; files: FileRow[] }>();
  private readonly written = new Set<string>();
  private readonly dropped = new Set<string>();
  /** Absolute paths of the files this writer put in place: not garbage while it is open. */
  private readonly placed = new Set<string>();
  /** Connections `connect()` handed out, closed with the writer. */
  private readonly extraConnections: DuckDBConnection[] = [];
  private done = false;

  private constructor(
    readonly source: string,
    readonly sourceDir: string,
    private readonly stagingDir: string,
    private readonly instance: DuckDBInstance,
    /** Scratch in-memory connection: connectors may create temp tables or read files with it. */
    readonly connection: DuckDBConnection,
    private readonly previous: { meta: MetaRow[]; files: FileRow[] },
    private readonly logger?: Logger,
    private readonly retention?: FileRetention,
  ) {
    for (const meta of previous.meta) {
      this.tables.set(meta.table_name, { meta, files: previous.files.filter((f) => f.table_name === meta.table_name) });
    }
  }

  /** Opens a writer for `sourceDir` (its folder name is the source name). */
  static async open(sourceDir: string, options: WriterOptions = {}): Promise<ExtractWriter> {
    const dir = resolve(sourceDir);
    const source = assertIdentifier(basename(dir), 'source name');
    const state = sourceState(dir);
    const stagingDir = join(dir, `.staging-${randomBytes(6).toString('hex')}`);
    // Registered before the first await, so a writer opening meanwhile never takes it for stale.
    state.staging.add(stagingDir);
    try {
      await mkdir(join(dir, 'data'), { recursive: true });
      // Leftovers of a crash are cleaned only when no other writer of this source is open: the
      // `.staging-*` folders (this writer's and connectors' own) of open writers are in use.
      // Writers opening meanwhile wait for that cleaning before making their own folder.
      if (state.staging.size === 1) state.cleaned = removeStaleStaging(dir, stagingDir);
      await state.cleaned;
      await mkdir(stagingDir);
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      // A large batch spills here rather than into the process's working folder (DuckDB's `.tmp`),
      // and goes with the staging folder.
      await connection.run(`SET temp_directory = ${sqlString(join(stagingDir, 'spill'))}`);
      const previous = await readExtract(connection, join(dir, 'extract.duckdb'));
      const writer = new ExtractWriter(source, dir, stagingDir, instance, connection, previous, options.logger, options.retention);
      state.writers.set(writer, () => writer.pendingFiles());
      return writer;
    } catch (e) {
      state.staging.delete(stagingDir);
      await rm(stagingDir, { recursive: true, force: true });
      throw e;
    }
  }

  /**
   * Another connection to this writer's scratch database, for writes of several tables at once
   * (`write(…, { connection })`); closed when the writer commits or aborts.
   */
  async connect(): Promise<DuckDBConnection> {
    this.assertOpen();
    const conn = await this.instance.connect();
    this.extraConnections.push(conn);
    return conn;
  }

  /** Table names of the previous extract, as committed. */
  get previousTables(): readonly MetaRow[] {
    return this.previous.meta;
  }

  get previousFiles(): readonly FileRow[] {
    return this.previous.files;
  }

  /** Writes a table from a SELECT run on `connection` (e.g. `SELECT * FROM read_csv(...)`): `write()` in mode replace. */
  async writeTable(name: string, selectSql: string, options: TableOptions = {}): Promise<FileRow> {
    this.assertOpen();
    assertIdentifier(name, 'table name');
    this.claim(name);
    const file = await this.writeFile(name, null, selectSql, options.verify);
    this.setTable(name, [file], options.description);
    return file;
  }

  /**
   * Writes the rows of `selectSql` (run on `connection`) into table `name` with a write mode
   * (see WriteMode): replace, append, or merge by key, each optionally partitioned, where only
   * the parts the batch touches get new files. Append and merge read the table as this writer
   * last left it, else as the latest commit did. Nothing is visible before `commit()`; a write
   * that throws (or whose `verify` throws) leaves the table as it was in this writer.
   */
  async write(name: string, selectSql: string, mode: WriteMode, options: TableOptions = {}): Promise<WriteResult> {
    this.assertOpen();
    assertIdentifier(name, 'table name');
    checkMode(mode);
    this.claim(name);
    const conn = options.connection ?? this.connection;
    if (mode.mode === 'replace' && !mode.partitionBy) {
      // Nothing to read back: streamed straight into its file, as writeTable does.
      const file = await this.writeFile(name, null, selectSql, options.verify, conn);
      this.setTable(name, [file], options.description);
      return { files: [file], written: [file], removed: [], rows: file.rows, batchRows: file.rows, changed: true };
    }
    const current = await this.currentTable(name, conn);
    const batch = await stageBatch(conn, selectSql, mode);
    try {
      await options.verify?.(conn);
      const plan = await planWrite(conn, this.sourceDir, mode, batch, current?.files);
      const parts = new Set(current?.files.map((f) => f.part));
      const written: FileRow[] = [];
      let removed = [...plan.removed];
      for (const w of plan.write) {
        const staged = await this.stageFile(name, w.part, w.selectSql, undefined, conn);
        if (w.part !== null && staged.rows === 0) {
          // An emptied part leaves the table; a new one that came out empty never joins it.
          await rm(staged.path, { force: true });
          if (parts.has(w.part)) removed.push(w.part);
        } else written.push(await this.placeFile(name, w.part, staged));
      }
      let files = [...plan.keep, ...written];
      if (mode.partitionBy && !files.length) {
        written.push(await this.writeFile(name, EMPTY_PART, plan.emptySql, undefined, conn));
        files = [...written];
        removed = removed.filter((p) => p !== EMPTY_PART);
      }
      // Content-addressed: a file written again with the bytes it had is the same path, so a
      // batch that only repeats what the table holds (an overlap re-exported) changes nothing.
      const had = new Set(current?.files.map((f) => f.path));
      if (current && !removed.length && written.every((f) => had.has(f.path))) {
        return { files: current.files, written: [], removed: [], rows: current.meta.rows, batchRows: batch.rows, changed: false };
      }
      files.sort(byPart);
      this.setTable(name, files, options.description ?? current?.meta.description);
      return { files, written, removed, rows: files.reduce((n, f) => n + f.rows, 0), batchRows: batch.rows, changed: true };
    } finally {
      await dropBatch(conn, batch);
    }
  }

  /**
   * Writes the given partitions of a table (`data/<table>/<part>.<hash>.parquet`). Parts not
   * listed are kept from the table as it is unless `replaceAll` is set.
   */
  async writeTableParts(
    name: string,
    parts: readonly { part: string; selectSql: string }[],
    options: TableOptions & { replaceAll?: boolean } = {},
  ): Promise<FileRow[]> {
    this.assertOpen();
    assertIdentifier(name, 'table name');
    assertPartNames(parts.map((p) => p.part));
    this.claim(name);
    const current = options.replaceAll ? undefined : await this.currentTable(name);
    const written: FileRow[] = [];
    for (const p of parts) written.push(await this.writeFile(name, p.part, p.selectSql));
    const names = new Set(written.map((f) => f.part));
    const kept = (current?.files ?? []).filter((f) => f.part !== null && !names.has(f.part));
    this.setTable(name, [...kept, ...written].sort(byPart), options.description ?? current?.meta.description);
    return written;
  }

  /**
   * The table as this writer last wrote it, else as the latest commit left it: another writer
   * may have committed it since this one opened, and merging into an older version would undo
   * that. Its files stay listed (no commit can change the table while this writer claims it).
   */
  private async currentTable(name: string, conn = this.connection): Promise<{ meta: MetaRow; files: FileRow[] } | undefined> {
    const current = await this.latestTable(name, conn);
    // A remote table has no local rows to append to or merge into: writing it starts it afresh.
    return current?.meta.query_mode === 'remote' ? undefined : current;
  }

  private async latestTable(name: string, conn: DuckDBConnection): Promise<{ meta: MetaRow; files: FileRow[] } | undefined> {
    if (this.written.has(name)) return this.tables.get(name);
    if (this.dropped.has(name)) return undefined;
    const latest = await this.latestExtract(conn);
    const meta = latest.meta.find((m) => m.table_name === name);
    return meta && { meta, files: latest.files.filter((f) => f.table_name === name) };
  }

  /** The extract on disk (read.ts reads it again only when a commit has replaced it). */
  private latestExtract(conn: DuckDBConnection): Promise<ExtractContent> {
    return readExtract(conn, join(this.sourceDir, 'extract.duckdb'));
  }

  /**
   * Declares a table whose rows stay at the source (`query_mode: 'remote'`): on commit its
   * `_meta` row lists no files, so the host serves it through the source's query engine
   * (`Connector.remote`), never as Parquet. A table written locally before loses its files
   * (garbage after the commit); writing it again later, or dropping it, works as for any table.
   * `rows` and `sizeBytes` are what the source reports (shown in the catalog), 0 when unknown.
   */
  declareRemote(name: string, options: RemoteTableOptions = {}): MetaRow {
    this.assertOpen();
    assertIdentifier(name, 'table name');
    this.claim(name);
    const prev = this.tables.get(name)?.meta;
    const meta: MetaRow = {
      table_name: name,
      description: options.description ?? prev?.description ?? null,
      rows: options.rows ?? 0,
      size_bytes: options.sizeBytes ?? 0,
      extracted_at: new Date(),
      query_mode: 'remote',
    };
    this.tables.set(name, { meta, files: [] });
    this.written.add(name);
    return meta;
  }

  /** Removes a table from the extract (its files are garbage-collected after the next commit). */
  dropTable(name: string): void {
    this.assertOpen();
    this.claim(name);
    this.tables.delete(name);
    this.written.delete(name);
    this.dropped.add(name);
  }

  /** Makes this writer the only open one that may write `table` of this source. */
  private claim(table: string): void {
    const claims = sourceState(this.sourceDir).claims;
    const holder = claims.get(table);
    if (holder && holder !== this) throw new ConflictError(`Table '${table}' of source '${this.source}' is being extracted by another run`);
    claims.set(table, this);
  }

  /**
   * Makes the new extract visible atomically and returns what it holds: the extract as it is
   * on disk now (other writers may have committed since this one opened) with this writer's
   * tables written or dropped.
   */
  async commit(): Promise<CommitSummary> {
    this.assertOpen();
    return serialize(sourceState(this.sourceDir), 'commits', () => this.commitNow());
  }

  private async commitNow(): Promise<CommitSummary> {
    const tmp = join(this.sourceDir, `extract.duckdb.tmp-${randomBytes(4).toString('hex')}`);
    try {
      const latest = await readExtract(this.connection, join(this.sourceDir, 'extract.duckdb'));
      const tables = new Map(latest.meta.map((m) => [m.table_name, { meta: m, files: latest.files.filter((f) => f.table_name === m.table_name) }]));
      for (const name of this.dropped) tables.delete(name);
      for (const name of this.written) tables.set(name, this.tables.get(name)!);
      const meta = [...tables.values()].map((t) => t.meta).sort((a, b) => a.table_name.localeCompare(b.table_name));
      const files = [...tables.values()].flatMap((t) => t.files);
      await writeExtractDb(this.connection, tmp, this.sourceDir, meta, files);
      await fsyncPath(tmp);
      await rename(tmp, join(this.sourceDir, 'extract.duckdb'));
      await fsyncPath(this.sourceDir);
      await rememberCommitted(join(this.sourceDir, 'extract.duckdb'), { meta, files });
      // Committed: what this writer placed is listed now or garbage (an earlier version of a
      // table it wrote twice, an emptied part), so its placements no longer keep files.
      sourceState(this.sourceDir).writers.delete(this);
      await this.collectGarbage(files, latest.files);
      return { source: this.source, tables: meta, files, written: [...this.written] };
    } catch (e) {
      await rm(tmp, { force: true });
      await rm(`${tmp}.wal`, { force: true });
      throw e;
    } finally {
      await this.close();
    }
  }

  /** Discards everything written; the previous extract stays as it was. */
  async abort(): Promise<void> {
    if (this.done) return;
    await this.close();
  }

  private async writeFile(table: string, part: string | null, selectSql: string, verify?: TableOptions['verify'], conn = this.connection): Promise<FileRow> {
    return this.placeFile(table, part, await this.stageFile(table, part, selectSql, verify, conn));
  }

  /** Runs `selectSql` into a Parquet file in the staging folder; nothing anyone reads changes yet. */
  private async stageFile(
    table: string,
    part: string | null,
    selectSql: string,
    verify?: TableOptions['verify'],
    conn = this.connection,
  ): Promise<{ path: string; rows: number }> {
    const staged = join(this.stagingDir, `${table}${part ? `.${part}` : ''}.parquet`);
    try {
      // On lines of its own, so a trailing `--` comment in the SELECT cannot swallow the rest.
      const rows = Number((await conn.run(`COPY (\n${selectSql}\n) TO ${sqlString(staged)} (FORMAT parquet)`)).rowsChanged);
      await verify?.(conn);
      return { path: staged, rows };
    } catch (e) {
      await rm(staged, { force: true });
      throw e;
    }
  }

  /** Hashes a staged file and puts it in place under its content address. */
  private async placeFile(table: string, part: string | null, { path: staged, rows }: { path: string; rows: number }): Promise<FileRow> {
    // The hash reads the page cache while the device flushes the same bytes.
    const [digest] = await Promise.all([digestFile(staged), fsyncPath(staged)]);
    const folder = part ? join(this.sourceDir, 'data', table) : join(this.sourceDir, 'data');
    await mkdir(folder, { recursive: true });
    const finalPath = join(folder, `${part ?? table}.${digest.sha256.slice(0, 16)}.parquet`);
    // Put in place while no sweep runs, and counted as this writer's first: no sweep can delete
    // an existing file of that name (the same bytes) between the check below and its commit.
    await serialize(sourceState(this.sourceDir), 'files', async () => {
      this.placed.add(finalPath);
      // Content-addressed: an existing file of that name already holds these exact bytes.
      if (existsSync(finalPath)) await rm(staged);
      else await rename(staged, finalPath);
    });
    return {
      table_name: table,
      part,
      path: relative(this.sourceDir, finalPath).split(sep).join('/'),
      rows,
      size_bytes: digest.size,
      md5: digest.md5,
      sha256: digest.sha256,
      written_at: new Date(),
    };
  }

  private setTable(name: string, files: FileRow[], description: string | null | undefined): void {
    const prev = this.tables.get(name)?.meta;
    this.tables.set(name, {
      files,
      meta: {
        table_name: name,
        description: description ?? prev?.description ?? null,
        rows: files.reduce((n, f) => n + f.rows, 0),
        size_bytes: files.reduce((n, f) => n + f.size_bytes, 0),
        extracted_at: new Date(),
        query_mode: 'local',
      },
    });
    this.written.add(name);
  }

  /**
   * Deletes the files the new extract no longer lists, unless an open writer put them in place
   * or the host's retention still retains them. Without a retention the replaced extract's
   * files are kept as well (until the next commit), for queries that started on them. The
   * extract is committed by now: a failed deletion is logged, the next collection retries it.
   */
  private async collectGarbage(current: FileRow[], replaced: FileRow[]): Promise<void> {
    const keep = this.retention ? current : [...current, ...replaced];
    try {
      await sweep(this.sourceDir, keep, { retention: this.retention, logger: this.logger });
    } catch (e) {
      this.logger?.warn({ err: e }, 'removing unreferenced parquet files failed; the next collection retries');
    }
  }

  /** Files this writer put in place or lists for its tables (kept parts too): not garbage while it is open. */
  private pendingFiles(): Iterable<string> {
    const listed = [...this.written].flatMap((t) => this.tables.get(t)?.files ?? []).map((f) => resolve(this.sourceDir, f.path));
    return [...this.placed, ...listed];
  }

  private assertOpen(): void {
    if (this.done) throw new Error(`ExtractWriter for '${this.source}' is already committed or aborted`);
  }

  private async close(): Promise<void> {
    this.done = true;
    const state = sourceState(this.sourceDir);
    state.writers.delete(this);
    state.staging.delete(this.stagingDir);
    for (const [table, holder] of state.claims) if (holder === this) state.claims.delete(table);
    for (const c of this.extraConnections) c.closeSync();
    this.connection.closeSync();
    this.instance.closeSync();
    await rm(this.stagingDir, { recursive: true, force: true });
  }
}

/**
 * Staging folders left by a crashed writer; safe to delete because nothing references them
 * (and one host owns a data dir: SystemDb's lock). `own` is the opening writer's.
 */
async function removeStaleStaging(dir: string, own: string): Promise<void> {
  for (const entry of await readdir(dir)) {
    if (entry.startsWith('.staging-') || entry.startsWith('extract.duckdb.tmp-')) {
      const p = join(dir, entry);
      if (p === own) continue;
      if ((await stat(p)).isDirectory() || entry.startsWith('extract.duckdb.tmp-')) await rm(p, { recursive: true, force: true });
    }
  }
}
