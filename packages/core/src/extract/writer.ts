import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { queryRows } from '../duckdb.js';
import { ConflictError, InputError } from '../errors.js';
import { assertIdentifier, quoteIdent, sqlString } from '../identifiers.js';
import { digestFile } from './hash.js';
import { EXTRACT_SCHEMA_SQL, type FileRow, type MetaRow } from './schema.js';

const PART_PATTERN = /^[A-Za-z0-9_=-]{1,64}$/;
const writersInProgress = new Set<string>();

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
 * previous extract intact and readable. Files of the previous generation are kept until the
 * next commit so queries that started against it can finish.
 */
export class ExtractWriter {
  private readonly tables = new Map<string, { meta: MetaRow; files: FileRow[] }>();
  private readonly written = new Set<string>();
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
  ) {
    for (const meta of previous.meta) {
      this.tables.set(meta.table_name, { meta, files: previous.files.filter((f) => f.table_name === meta.table_name) });
    }
  }

  /** Opens a writer for `sourceDir` (its folder name is the source name). Only one writer per source at a time. */
  static async open(sourceDir: string, options: { logger?: Logger } = {}): Promise<ExtractWriter> {
    const dir = resolve(sourceDir);
    const source = assertIdentifier(basename(dir), 'source name');
    if (writersInProgress.has(dir)) throw new ConflictError(`An extraction of source '${source}' is already running`);
    writersInProgress.add(dir);
    try {
      await mkdir(join(dir, 'data'), { recursive: true });
      await removeStaleStaging(dir);
      const stagingDir = join(dir, `.staging-${randomBytes(6).toString('hex')}`);
      await mkdir(stagingDir);
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      const previous = await readExtract(connection, join(dir, 'extract.duckdb'));
      return new ExtractWriter(source, dir, stagingDir, instance, connection, previous, options.logger);
    } catch (e) {
      writersInProgress.delete(dir);
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
    this.tables.delete(name);
    this.written.delete(name);
  }

  /** Makes the new extract visible atomically and returns what it holds. */
  async commit(): Promise<CommitSummary> {
    this.assertOpen();
    const tmp = join(this.sourceDir, `extract.duckdb.tmp-${randomBytes(4).toString('hex')}`);
    try {
      const meta = [...this.tables.values()].map((t) => t.meta);
      const files = [...this.tables.values()].flatMap((t) => t.files);
      await writeExtractDb(this.connection, tmp, this.sourceDir, meta, files);
      await fsyncPath(tmp);
      await rename(tmp, join(this.sourceDir, 'extract.duckdb'));
      await fsyncPath(this.sourceDir);
      await this.collectGarbage(files);
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
    // Content-addressed: an existing file of that name already holds these exact bytes.
    if (existsSync(finalPath)) await rm(staged);
    else await rename(staged, finalPath);
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

  /** Deletes Parquet files referenced by neither the new extract nor the one it replaced. */
  private async collectGarbage(current: FileRow[]): Promise<void> {
    const keep = new Set([...current, ...this.previous.files].map((f) => resolve(this.sourceDir, f.path)));
    for (const file of await listParquet(join(this.sourceDir, 'data'))) {
      if (!keep.has(file)) {
        await rm(file, { force: true });
        this.logger?.debug({ file }, 'removed unreferenced parquet file');
      }
    }
  }

  private assertOpen(): void {
    if (this.done) throw new Error(`ExtractWriter for '${this.source}' is already committed or aborted`);
  }

  private async close(): Promise<void> {
    this.done = true;
    writersInProgress.delete(this.sourceDir);
    this.connection.closeSync();
    this.instance.closeSync();
    await rm(this.stagingDir, { recursive: true, force: true });
  }
}

/** Reads `_meta` and `_files` of an existing extract (empty when there is none). */
export async function readExtract(conn: DuckDBConnection, path: string): Promise<{ meta: MetaRow[]; files: FileRow[] }> {
  if (!existsSync(path)) return { meta: [], files: [] };
  const alias = `prev_${randomBytes(4).toString('hex')}`;
  await conn.run(`ATTACH ${sqlString(path)} AS ${alias} (READ_ONLY)`);
  try {
    const meta = await queryRows<MetaRow>(conn, `SELECT * FROM ${alias}._meta ORDER BY table_name`);
    const hasFiles = await queryRows(conn, `SELECT 1 FROM duckdb_tables() WHERE database_name = ? AND table_name = '_files'`, [alias]);
    const files = hasFiles.length ? await queryRows<FileRow>(conn, `SELECT * FROM ${alias}._files ORDER BY table_name, part`) : [];
    return { meta, files };
  } finally {
    await conn.run(`DETACH ${alias}`);
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

async function listParquet(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listParquet(p)));
    else if (entry.name.endsWith('.parquet')) out.push(p);
  }
  return out;
}

/** Staging folders left by a crashed writer; safe to delete because nothing references them. */
async function removeStaleStaging(dir: string): Promise<void> {
  for (const entry of await readdir(dir)) {
    if (entry.startsWith('.staging-') || entry.startsWith('extract.duckdb.tmp-')) {
      const p = join(dir, entry);
      if ((await stat(p)).isDirectory() || entry.startsWith('extract.duckdb.tmp-')) await rm(p, { recursive: true, force: true });
    }
  }
}
