import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ConflictError, InputError, queryRows, readExtract, sqlString } from '@aida/core';
import { DataDirInUseError, SchemaTooNewError } from '../errors.js';
import { SCHEMA_VERSION } from '../state/migrations/index.js';
import { unpackArchive, type BackupManifest } from './archive.js';
import { refuseLiveHost, systemDbPath } from './stopped-instance.js';

export interface RestoreOptions {
  /** Replace what the target holds (it is deleted once the archive checked out). */
  force?: boolean;
  /**
   * Restore an archive made with `aida backup --files-only` (PostgreSQL state): the data dir's
   * files, without the system tables, which pg_restore brings back. Required for such an archive,
   * so nobody takes it for a whole instance; refused for an archive that holds its system database.
   */
  filesOnly?: boolean;
}

export interface RestoreOutcome {
  data_dir: string;
  manifest: BackupManifest;
  /** Users in the restored system database; null for a files-only archive (the tables are in PostgreSQL). */
  users: number | null;
  sources: number;
  tables: number;
  /** False when the archive came from another data dir: the host rebuilds analytics/server.duckdb at start. */
  analytics_restored: boolean;
}

/** Entries of a data dir that do not make it "not empty". */
const IGNORED = (name: string) => name === 'lost+found' || name.startsWith('.aida-restore-');

/**
 * `aida restore --from FILE [--data-dir DIR] [--force]`: unpacks a backup into a folder beside
 * the target's contents (`.aida-restore-*` inside it, so moving files in is a rename on one file
 * system), checks every file against the manifest's SHA-256, and only then moves it into place.
 * Refuses a target a live host holds, and a non-empty one unless `force`. The analytics database
 * names its Parquet files by absolute path: restored into another data dir it is left out, and
 * the host rebuilds it from the extracts at start. Run as root, the files get the owner of the
 * target folder, so a host running as that user can write them.
 */
export async function restore(from: string | NodeJS.ReadableStream, dataDir: string, options: RestoreOptions = {}): Promise<RestoreOutcome> {
  const target = resolve(dataDir);
  await mkdir(target, { recursive: true });
  await refuseLiveHost(target, 'restore');
  await refuseLockedDb(target);
  const before = await readdir(target);
  for (const leftover of before.filter((n) => n.startsWith('.aida-restore-'))) await rm(join(target, leftover), { recursive: true, force: true });
  const present = before.filter((n) => !IGNORED(n));
  if (present.length && !options.force) {
    throw new ConflictError(
      `${target} is not empty (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}): restore into an empty folder, or pass --force to replace what is there`,
    );
  }
  const staging = join(target, `.aida-restore-${randomBytes(6).toString('hex')}`);
  await mkdir(staging, { mode: 0o700 });
  try {
    const manifest = await unpackArchive(from, staging);
    if (manifest.schema_version > SCHEMA_VERSION) {
      throw new SchemaTooNewError(
        `The backup's system database is at schema version ${manifest.schema_version}, this aida knows versions up to ${SCHEMA_VERSION}: restore it with the AIDA version that made it (${manifest.aida_version})`,
        { detail: { schema_version: manifest.schema_version, supported: SCHEMA_VERSION } },
      );
    }
    if (manifest.state_backend === 'postgres' && !options.filesOnly) {
      throw new InputError(
        `This archive holds the data directory's files only (made with aida backup --files-only, schema version ${manifest.schema_version}): ` +
          'the system tables were in PostgreSQL and come back with pg_restore from their pg_dump. Pass --files-only to restore the files.',
      );
    }
    if (manifest.state_backend === 'duckdb' && options.filesOnly) {
      throw new InputError(
        '--files-only restores an archive made with aida backup --files-only; this one holds the system database: restore it without --files-only',
      );
    }
    const data = join(staging, 'data');
    const analytics = join(data, 'analytics', 'server.duckdb');
    const sameDir = resolve(manifest.data_dir) === target;
    if (!sameDir) await rm(analytics, { force: true });
    const summary = await summarise(data);
    for (const name of present) await rm(join(target, name), { recursive: true, force: true });
    if (existsSync(data)) for (const name of await readdir(data)) await rename(join(data, name), join(target, name));
    await matchOwner(target);
    return { data_dir: target, manifest, ...summary, analytics_restored: sameDir && manifest.files.some((f) => f.path === 'analytics/server.duckdb') };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** A host that does not answer on its socket (an older AIDA) still holds the database's lock. */
async function refuseLockedDb(target: string): Promise<void> {
  const path = systemDbPath(target);
  if (!existsSync(path)) return;
  try {
    (await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' })).closeSync();
  } catch (e) {
    if (/lock/i.test((e as Error).message))
      throw new DataDirInUseError(`${path} is open in another process: stop the host that uses ${target} before restoring into it`, { cause: e });
    // An unreadable database is what a restore replaces; --force still decides.
  }
}

/** Users and tables of the unpacked instance, for the operator to see what came back. */
async function summarise(data: string): Promise<{ users: number | null; sources: number; tables: number }> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    let users: number | null = null;
    const systemDb = join(data, 'state', 'system.duckdb');
    if (existsSync(systemDb)) {
      await conn.run(`ATTACH ${sqlString(systemDb)} AS restored (READ_ONLY)`);
      [{ n: users }] = await queryRows<{ n: number }>(conn, 'SELECT count(*)::INTEGER AS n FROM restored.users');
      await conn.run('DETACH restored');
    }
    let sources = 0;
    let tables = 0;
    const extracts = join(data, 'extracts');
    if (existsSync(extracts)) {
      for (const source of await readdir(extracts)) {
        const file = join(extracts, source, 'extract.duckdb');
        if (!existsSync(file)) continue;
        sources++;
        tables += (await readExtract(conn, file)).meta.length;
      }
    }
    return { users, sources, tables };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** As root, hands the restored tree to the owner of the target folder (a container's or service's user). */
async function matchOwner(target: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const { uid, gid } = await stat(target);
  if (uid === 0) return;
  const walk = async (path: string): Promise<void> => {
    await chown(path, uid, gid);
    if ((await lstat(path)).isDirectory()) for (const name of await readdir(path)) await walk(join(path, name));
  };
  for (const name of await readdir(target)) await walk(join(target, name));
}
