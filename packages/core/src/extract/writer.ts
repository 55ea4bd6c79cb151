import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { ConflictError, InputError } from '../errors.js';
import { assertIdentifier, quoteIdent, sqlString } from '../identifiers.js';
import { sweep } from './garbage.js';
import { digestFile } from './hash.js';
import { readExtract } from './read.js';
import type { FileRetention } from './retention.js';
import { EXTRACT_SCHEMA_SQL, type FileRow, type MetaRow } from './schema.js';
import { serialize, sourceState } from './sources.js';

// The writer's contract in one import: reading an extract, collecting garbage, file retention.
export { collectExtractGarbage, type CollectOptions } from './garbage.js';
export { readExtract } from './read.js';
export type { FileRetention } from './retention.js';
export { betweenCommits } from './sources.js';

const PART_PATTERN = /^[A-Za-z0-9_=-]{1,64}$/;

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
   * Runs on `connection` after the data was copied and before the table is replaced; throwing
   * discards the new file and keeps the previous version (e.g. to fail on rejected CSV rows).
   */
  verify?: (connection: DuckDBConnection) => Promise<void>;
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

  /** Table names of the previous extract, as committed. */
  get previousTables(): readonly MetaRow[] {
    return this.previous.meta;
  }

  get previousFiles(): readonly FileRow[] {
    return this.previous.files;
  }

  /** Writes a table from a SELECT run on `connection` (e.g. `SELECT * FROM read_csv(...)`). */
  async writeTable(name: string, selectSql: string, options: TableOptions = {}): Promise<FileRow> {
    this.assertOpen();
    assertIdentifier(name, 'table name');
    this.claim(name);
    const file = await this.writeFile(name, null, selectSql, options.verify);
    this.setTable(name, [file], options.description);
    return file;
  }

  /**
   * Writes the given partitions of a table (`data/<table>/<part>.<hash>.parquet`). Parts not
   * listed are kept from the previous extract unless `replaceAll` is set.
   */
  async writeTableParts(
    name: string,
    parts: readonly { part: string; selectSql: string }[],
    options: TableOptions & { replaceAll?: boolean } = {},
  ): Promise<FileRow[]> {
    this.assertOpen();
    assertIdentifier(name, 'table name');
    for (const p of parts) {
      if (!PART_PATTERN.test(p.part)) throw new InputError(`Invalid partition name ${JSON.stringify(p.part)}: must match ${PART_PATTERN.source}`);
    }
    this.claim(name);
    const written: FileRow[] = [];
    for (const p of parts) written.push(await this.writeFile(name, p.part, p.selectSql));
    const names = new Set(written.map((f) => f.part));
    const kept = options.replaceAll ? [] : (this.tables.get(name)?.files ?? []).filter((f) => f.part !== null && !names.has(f.part));
    this.setTable(name, [...kept, ...written].sort((a, b) => String(a.part).localeCompare(String(b.part))), options.description);
    return written;
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

  private async writeFile(table: string, part: string | null, selectSql: string, verify?: TableOptions['verify']): Promise<FileRow> {
    const staged = join(this.stagingDir, `${table}${part ? `.${part}` : ''}.parquet`);
    let rows: number;
    try {
      rows = Number((await this.connection.run(`COPY (${selectSql}) TO ${sqlString(staged)} (FORMAT parquet)`)).rowsChanged);
      await verify?.(this.connection);
    } catch (e) {
      await rm(staged, { force: true });
      throw e;
    }
    const digest = await digestFile(staged);
    await fsyncPath(staged);
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
    this.connection.closeSync();
    this.instance.closeSync();
    await rm(this.stagingDir, { recursive: true, force: true });
  }
}

async function writeExtractDb(conn: DuckDBConnection, path: string, sourceDir: string, meta: MetaRow[], files: FileRow[]): Promise<void> {
  await conn.run(`ATTACH ${sqlString(path)} AS out`);
  try {
    await conn.run('USE out');
    await conn.run('BEGIN');
    await conn.run(EXTRACT_SCHEMA_SQL.meta);
    await conn.run(EXTRACT_SCHEMA_SQL.files);
    for (const m of meta) {
      await conn.run('INSERT INTO _meta VALUES (?, ?, ?, ?, ?::TIMESTAMP, ?)', [
        m.table_name, m.description, m.rows, m.size_bytes, m.extracted_at.toISOString(), m.query_mode,
      ]);
    }
    for (const f of files) {
      await conn.run('INSERT INTO _files VALUES (?, ?, ?, ?, ?, ?, ?, ?::TIMESTAMP)', [
        f.table_name, f.part, f.path, f.rows, f.size_bytes, f.md5, f.sha256, f.written_at.toISOString(),
      ]);
    }
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
