import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ConflictError, NotFoundError, queryRows } from '@aida/core';
import { DataDirInUseError, SchemaTooNewError } from '../errors.js';
import { SCHEMA_VERSION } from '../state/migrations/index.js';
import { DuckDbSystemDb, type SystemDb } from '../state/system-db.js';
import { controlSocketPath, liveHostStatus } from './control-channel.js';

/** The system database's file in a data dir. */
export function systemDbPath(dataDir: string): string {
  return join(resolve(dataDir), 'state', 'system.duckdb');
}

/** Throws NotFoundError when `dataDir` holds no instance (no state/system.duckdb). */
export function requireInstance(dataDir: string): string {
  const path = systemDbPath(dataDir);
  if (!existsSync(path))
    throw new NotFoundError(
      `No AIDA instance in ${resolve(dataDir)} (no state/system.duckdb); set AIDA_DATA_DIR or --data-dir to the instance's data directory`,
    );
  return path;
}

/**
 * Refuses when a live host holds `dataDir`, naming it: its control socket answers. (A host that
 * does not answer there still holds the database's lock, and opening it fails the same way.)
 */
export async function refuseLiveHost(dataDir: string, command: string): Promise<void> {
  const live = await liveHostStatus(dataDir);
  if (live) {
    throw new DataDirInUseError(
      `A live AIDA host (PID ${live.pid}, version ${live.version}) holds ${live.data_dir}: stop it before running aida ${command} (only one process may open the system database)`,
    );
  }
}

/**
 * Opens the system database of a stopped instance for an operator command. Refuses a data dir a
 * live host holds (AIDA_DATA_DIR_IN_USE), and one whose schema is not the one this version
 * writes: a newer one (AIDA_SCHEMA_TOO_NEW) or an older one, which `aida migrate` (or starting
 * the host) upgrades first; a command never migrates by itself, so rolling back stays possible.
 */
export async function openStoppedInstance(dataDir: string, command: string): Promise<SystemDb> {
  const path = requireInstance(dataDir);
  await refuseLiveHost(dataDir, command);
  const db = await DuckDbSystemDb.open(path);
  try {
    await requireCurrentSchema(db);
    return db;
  } catch (e) {
    await db.close();
    throw e;
  }
}

/** What reading the schema version takes: a SystemDb, or a read-only DuckDB connection. */
export interface SchemaReader {
  readonly dialect: SystemDb['dialect'];
  readonly path: string;
  all<T>(sql: string): Promise<T[]>;
}

/**
 * Refuses a system database whose schema is not the one this version writes: a newer one
 * (AIDA_SCHEMA_TOO_NEW) or an older one, which `aida migrate` (or starting the host) upgrades
 * first; a command never migrates by itself, so rolling back stays possible.
 */
export async function requireCurrentSchema(db: SchemaReader): Promise<void> {
  const version = await schemaVersionOf(db);
  if (version > SCHEMA_VERSION) {
    throw new SchemaTooNewError(
      `${db.path} is at schema version ${version}, but this version of @aida/host knows schema versions up to ${SCHEMA_VERSION}; run the aida that wrote it`,
      { detail: { schema_version: version, supported: SCHEMA_VERSION } },
    );
  }
  if (version < SCHEMA_VERSION) {
    throw new ConflictError(
      `${db.path} is at schema version ${version} and this aida writes version ${SCHEMA_VERSION}: run aida migrate first (starting the host migrates too)`,
      { detail: { schema_version: version, current: SCHEMA_VERSION } },
    );
  }
}

/** The newest migration applied (0 for a database that has none), on either backend. */
export async function schemaVersionOf(db: Omit<SchemaReader, 'path'>): Promise<number> {
  const catalog =
    db.dialect === 'postgres'
      ? `SELECT count(*)::INTEGER AS n FROM information_schema.tables WHERE table_name = 'schema_version' AND table_schema = current_schema()`
      : `SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE table_name = 'schema_version' AND schema_name = 'main'`;
  const has = await db.all<{ n: number }>(catalog);
  if (!has[0]?.n) return 0;
  const [{ v }] = await db.all<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
  return v ?? 0;
}

/** Runs `fn` on a stopped instance's system database and closes it (checkpointed) afterwards. */
export async function withStoppedInstance<T>(dataDir: string, command: string, fn: (db: SystemDb) => Promise<T>): Promise<T> {
  const db = await openStoppedInstance(dataDir, command);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** A stopped instance's system database opened read only, on a connection of its own. */
export interface ReadOnlySystemDb extends SchemaReader {
  readonly conn: DuckDBConnection;
  close(): void;
}

/**
 * Opens the system database of `dataDir` read only, for a command that must leave it as it is (a
 * backup, a copy into PostgreSQL). The file's lock tells a host that does not answer on its
 * control socket: refused as AIDA_DATA_DIR_IN_USE.
 */
export async function openReadOnly(dataDir: string, dbPath: string): Promise<ReadOnlySystemDb> {
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(dbPath, { access_mode: 'READ_ONLY' });
  } catch (e) {
    if (/lock/i.test((e as Error).message)) {
      throw new DataDirInUseError(
        `${dbPath} is held by a host that does not answer on its control socket ${controlSocketPath(dataDir)} (an older AIDA, or a data dir path too long for a socket): stop it first, or upgrade it`,
        { cause: e },
      );
    }
    throw e;
  }
  const conn = await instance.connect();
  return {
    dialect: 'duckdb',
    path: dbPath,
    conn,
    all: (sql) => queryRows(conn, sql),
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}
