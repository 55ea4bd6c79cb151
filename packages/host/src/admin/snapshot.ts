import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, link, lstat, mkdir, readdir, rm, symlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { isValidIdentifier, queryRows, quoteIdent, readExtract, sqlString } from '@aida/core';
import type { SnapshotDescription, SnapshotFile } from './control-channel.js';
import { prepareRunDir } from './run-dir.js';

/** Who else reads extract files, as the host's FileLeases (analytics generations, downloads) know it. */
export interface SnapshotRetention {
  isRetained(path: string): boolean;
  hold(paths: Iterable<string>): { release(): void };
}

/**
 * What a snapshot reads through. A live host passes its open system database, the extract
 * writers' commit chain and its file leases; an offline backup opens the files itself.
 */
export interface SnapshotParts {
  dataDir: string;
  /**
   * The system database: DuckDB's is copied into a new file `dest` in one transaction (`copy`
   * returns its schema version); PostgreSQL's is not in the data dir, and not in the snapshot
   * (pg_dump backs it up), so only its schema version is recorded.
   */
  state: { backend: 'duckdb'; copy(dest: string): Promise<number> } | { backend: 'postgres'; schemaVersion: number };
  /** Runs `fn` while no commit or garbage collection of the source folder runs. */
  betweenCommits<T>(sourceDir: string, fn: () => Promise<T>): Promise<T>;
  /** Live only: the leases that keep extract files from being collected while they are archived. */
  retention?: SnapshotRetention;
  analyticsPath: string;
  /** True when a live host takes it (for the manifest). */
  live: boolean;
}

/** A snapshot on disk, held until `release()`. */
export interface TakenSnapshot {
  description: SnapshotDescription;
  /** Lets go of the files and removes the staging folder. */
  release(): Promise<void>;
}

/** Folders and files under the data dir that are never archived: transient or rebuilt. */
const TRANSIENT_TOP = new Set(['run', 'tmp']);
/** Tries at copying the analytics database whose files are all still held (a rebuild may replace it meanwhile). */
const ANALYTICS_TRIES = 5;

/**
 * Makes a consistent copy of an instance in `<dataDir>/run/backup-<id>/data/`, laid out as the
 * data dir is (docs/deploy.md):
 *
 * - `state/system.duckdb`: `COPY FROM DATABASE` into a new file, one transaction, so every table
 *   is as of one moment while the host keeps writing (DuckDB state only: PostgreSQL's is pg_dump's);
 * - each `extracts/<source>/extract.duckdb`, copied between commits, and the Parquet files it
 *   lists, hard-linked (content-addressed files never change; a link also keeps the bytes if the
 *   host collects the file meanwhile), held by a lease until release;
 * - `analytics/server.duckdb` as published, with every Parquet file its views read;
 * - every other file (jwt-secret, uploads, demo files, plugins' own files), copied.
 *
 * Left out: `run/`, `tmp/`, the write-ahead logs and temp files of the databases, staging folders
 * of writers, and Parquet files no extract or analytics database lists (garbage).
 */
export async function takeSnapshot(parts: SnapshotParts): Promise<TakenSnapshot> {
  const dataDir = resolve(parts.dataDir);
  const runDir = await prepareRunDir(dataDir);
  const staging = join(runDir, `backup-${randomBytes(6).toString('hex')}`);
  const root = join(staging, 'data');
  await mkdir(root, { recursive: true, mode: 0o700 });
  const leases: { release(): void }[] = [];
  const files = new Map<string, SnapshotFile>();
  const warnings: string[] = [];
  const releaseAll = async () => {
    for (const l of leases.splice(0)) l.release();
    await rm(staging, { recursive: true, force: true });
  };
  const reader = await DuckDBInstance.create(':memory:');
  const conn = await reader.connect();
  try {
    const add = (name: string) => files.set(name, { name, path: join(root, ...name.split('/')) });
    let schemaVersion: number;
    if (parts.state.backend === 'duckdb') {
      const systemDb = join(root, 'state', 'system.duckdb');
      await mkdir(dirname(systemDb), { recursive: true });
      schemaVersion = await parts.state.copy(systemDb);
      add('state/system.duckdb');
    } else {
      // A state/system.duckdb left in the data dir (from before aida migrate-state) is stale: left out below.
      schemaVersion = parts.state.schemaVersion;
    }
    const work: SnapshotWork = { parts, dataDir, root, conn, leases, add, warnings };
    await snapshotExtracts(work);
    await snapshotAnalytics(work);
    for (const entry of await readdir(dataDir, { withFileTypes: true })) {
      if (TRANSIENT_TOP.has(entry.name) || entry.name.startsWith('.aida-restore-') || entry.name === 'extracts' || entry.name === 'analytics') continue;
      const skip = entry.name === 'state' ? isStateDbFile : () => false;
      await copyLoose(dataDir, entry.name, root, add, warnings, skip);
    }
    return {
      description: {
        data_dir: dataDir,
        staging_dir: staging,
        schema_version: schemaVersion,
        state_backend: parts.state.backend,
        live: parts.live,
        files: [...files.values()],
        warnings,
      },
      release: releaseAll,
    };
  } catch (e) {
    await releaseAll();
    throw e;
  } finally {
    conn.closeSync();
    reader.closeSync();
  }
}

/** What the steps of one snapshot share. */
interface SnapshotWork {
  parts: SnapshotParts;
  dataDir: string;
  /** The snapshot's `data/` folder. */
  root: string;
  /** An in-memory DuckDB connection for reading the copies. */
  conn: DuckDBConnection;
  leases: { release(): void }[];
  add: (name: string) => void;
  warnings: string[];
}

/** The system database's own files: copied by COPY FROM DATABASE, never byte by byte. */
function isStateDbFile(rel: string): boolean {
  return /^state\/system\.duckdb(\.wal|\.tmp.*)?$/.test(rel);
}

async function snapshotExtracts(w: SnapshotWork): Promise<void> {
  const { parts, dataDir, root, conn, leases, add, warnings } = w;
  const extracts = join(dataDir, 'extracts');
  if (!existsSync(extracts)) return;
  for (const entry of await readdir(extracts, { withFileTypes: true })) {
    const rel = `extracts/${entry.name}`;
    if (!entry.isDirectory()) {
      await copyLoose(dataDir, rel, root, add, warnings);
      continue;
    }
    if (!isValidIdentifier(entry.name)) {
      warnings.push(`left out ${rel}: not a valid source name (the host does not read it either)`);
      continue;
    }
    const sourceDir = join(extracts, entry.name);
    const extractFile = join(sourceDir, 'extract.duckdb');
    if (existsSync(extractFile)) {
      const copy = join(root, 'extracts', entry.name, 'extract.duckdb');
      await mkdir(dirname(copy), { recursive: true });
      // Between commits: the extract cannot be replaced, nor its files collected, while it is
      // copied and its files are taken hold of.
      const listed = await parts.betweenCommits(sourceDir, async () => {
        await copyFile(extractFile, copy);
        const paths = (await readExtract(conn, copy)).files.map((f) => resolve(sourceDir, f.path));
        if (parts.retention) leases.push(parts.retention.hold(paths));
        return paths;
      });
      add(`${rel}/extract.duckdb`);
      for (const p of listed) await placeExtractFile(dataDir, p, root, add);
    }
    await copyLoose(dataDir, rel, root, add, warnings, (r) => isExtractOwnFile(rel, r));
  }
}

/** The extract's database, its temp files, writers' staging folders and `data/` (only listed Parquet is archived). */
function isExtractOwnFile(sourceRel: string, rel: string): boolean {
  const inner = rel.slice(sourceRel.length + 1);
  return /^extract\.duckdb(\.wal|\.tmp-.*)?$/.test(inner) || inner.startsWith('.staging-') || inner === 'data' || inner.startsWith('data/');
}

/**
 * `analytics/server.duckdb` as published. Its views read Parquet files by absolute path, some of
 * which (an earlier version of a table) the extracts may no longer list: those must be archived
 * too, and held. A copy whose files are not all still held was replaced by a rebuild meanwhile
 * and its files may be collected: copy again.
 */
async function snapshotAnalytics(w: SnapshotWork): Promise<void> {
  const { parts, dataDir, root, conn, leases, add, warnings } = w;
  if (!existsSync(parts.analyticsPath)) return;
  const copy = join(root, 'analytics', 'server.duckdb');
  await mkdir(dirname(copy), { recursive: true });
  for (let attempt = 1; attempt <= ANALYTICS_TRIES; attempt++) {
    await copyFile(parts.analyticsPath, copy);
    const alias = `analytics_${randomBytes(4).toString('hex')}`;
    await conn.run(`ATTACH ${sqlString(copy)} AS ${alias} (READ_ONLY)`);
    let paths: string[];
    try {
      paths = (await queryRows<{ path: string }>(conn, `SELECT DISTINCT path FROM ${quoteIdent(alias)}._aida_files`)).map((r) => r.path);
    } finally {
      await conn.run(`DETACH ${alias}`);
    }
    const retention = parts.retention;
    // Checked and taken in one synchronous step: a file held now cannot be collected until released.
    const held = retention ? paths.every((p) => retention.isRetained(p)) : paths.every((p) => existsSync(p));
    if (!held) continue;
    if (retention) leases.push(retention.hold(paths));
    const outside = paths.filter((p) => !isInside(join(dataDir, 'extracts'), p));
    if (outside.length) {
      warnings.push(
        `left out analytics/server.duckdb: its views read files outside ${join(dataDir, 'extracts')} (${outside[0]}); the host rebuilds it at start`,
      );
      await rm(copy, { force: true });
      return;
    }
    add('analytics/server.duckdb');
    for (const p of paths) await placeExtractFile(dataDir, p, root, add);
    return;
  }
  await rm(copy, { force: true });
  warnings.push(
    `left out analytics/server.duckdb: it was rebuilt ${ANALYTICS_TRIES} times while being copied; the host rebuilds it from the archived extracts at start`,
  );
}

/** Links an immutable Parquet file into the snapshot (a symlink where a hard link cannot cross file systems). */
async function placeExtractFile(dataDir: string, path: string, root: string, add: (name: string) => void): Promise<void> {
  const name = relative(dataDir, path).split(sep).join('/');
  const dest = join(root, ...name.split('/'));
  if (existsSync(dest)) return;
  await mkdir(dirname(dest), { recursive: true });
  try {
    await link(path, dest);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    await symlink(path, dest);
  }
  add(name);
}

/** Copies `rel` (a file, or a folder recursively) into the snapshot, except what `skip` says. */
async function copyLoose(
  dataDir: string,
  rel: string,
  root: string,
  add: (name: string) => void,
  warnings: string[],
  skip: (rel: string) => boolean = () => false,
): Promise<void> {
  if (skip(rel)) return;
  const from = join(dataDir, ...rel.split('/'));
  const st = await lstat(from).catch(() => undefined);
  if (!st) return; // gone meanwhile
  if (st.isDirectory()) {
    for (const name of await readdir(from)) await copyLoose(dataDir, `${rel}/${name}`, root, add, warnings, skip);
    return;
  }
  if (!st.isFile()) {
    warnings.push(`left out ${rel}: not a regular file`);
    return;
  }
  const dest = join(root, ...rel.split('/'));
  await mkdir(dirname(dest), { recursive: true });
  await copyFile(from, dest);
  add(rel);
}

function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) && !rel.includes(`..${sep}`);
}

/** The two calls copyDatabase needs: SystemDb has them, and a raw connection is wrapped in them. */
export interface SqlLike {
  run(sql: string): Promise<unknown>;
  all<T>(sql: string): Promise<T[]>;
}

/** COPY FROM DATABASE of the connection's database into a new file, in one statement (one transaction); returns the copy's schema version. */
export async function copyDatabase(db: SqlLike, dest: string): Promise<number> {
  const [{ name }] = await db.all<{ name: string }>('SELECT current_database() AS name');
  const alias = `aida_backup_${randomBytes(4).toString('hex')}`;
  await db.run(`ATTACH ${sqlString(dest)} AS ${alias} (READ_WRITE)`);
  try {
    await db.run(`COPY FROM DATABASE ${quoteIdent(name)} TO ${alias}`);
    const [row] = await db.all<{ v: number | null }>(`SELECT max(version) AS v FROM ${alias}.schema_version`);
    return row?.v ?? 0;
  } finally {
    await db.run(`DETACH ${alias}`);
  }
}
