import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { ConflictError, InputError, UnavailableError } from '@aida/core';
import type { StateConfig } from '../state/config.js';
import { openSystemDb } from '../state/open.js';
import { wantsGzip, writeArchive, type BackupManifest } from './archive.js';
import { ControlClient, type SnapshotDescription } from './control-channel.js';
import { EMBEDDED_STATE, pgDumpAdvice, requireDataDir } from './instance-state.js';
import { copyDatabase, takeSnapshot, type SnapshotParts, type TakenSnapshot } from './snapshot.js';
import { openReadOnly, requireInstance, schemaVersionOf } from './stopped-instance.js';

export interface BackupOutcome {
  /** The archive written, or `-` for standard output. */
  to: string;
  manifest: BackupManifest;
  bytes: number;
}

export interface BackupOptions {
  /** Replace an existing file at `to`. */
  force?: boolean;
  /** The config's `state:` section (default: DuckDB in the data dir). */
  state?: StateConfig;
  /**
   * PostgreSQL state: archive the data dir's files without the system tables (pg_dump backs
   * those up). Required there, so an archive without them is never made by accident; refused
   * with DuckDB state, whose backup always holds its system database.
   */
  filesOnly?: boolean;
}

/**
 * `aida backup --to FILE`: a consistent archive of an instance (see takeSnapshot for what is in
 * it), live or stopped. With a live host, the host itself takes the snapshot (its system database
 * is locked to it) and this process archives it through the control socket; with none, the files
 * are opened here, the system database read-only, which keeps a host from starting meanwhile.
 * `to` of `-` writes the archive to standard output. A file is written beside its name and renamed
 * into place once complete, so a failed backup leaves no partial archive.
 *
 * With PostgreSQL state (`filesOnly`), the archive holds the data dir's files (extracts, the
 * analytics database, the JWT secret, uploads) and its manifest says the system tables are not in it.
 */
export async function backup(dataDir: string, to: string, options: BackupOptions = {}): Promise<BackupOutcome> {
  const dir = resolve(dataDir);
  const state = options.state ?? EMBEDDED_STATE;
  requireFilesOnlyMatches(state.backend, options.filesOnly, state);
  const dbPath = state.backend === 'duckdb' ? requireInstance(dir) : requireDataDir(dir);
  const target = to === '-' ? undefined : resolve(to);
  if (target && !relative(dir, target).startsWith('..')) {
    // It would archive itself (and earlier backups), and a backup belongs off the volume it protects.
    throw new InputError(`${target} is inside the data directory ${dir}: write the backup somewhere else`);
  }
  if (target && existsSync(target) && !options.force) throw new ConflictError(`${target} exists; choose another name or pass --force to replace it`);
  const gzip = wantsGzip(to);
  const tmp = target && join(dirname(target), `.${basename(target)}.tmp-${randomBytes(4).toString('hex')}`);
  const out = tmp ? { file: tmp, gzip } : { stream: process.stdout, gzip };
  try {
    const client = await ControlClient.connect(dir);
    const manifest = client
      ? await throughLiveHost(client, out, (s) => requireFilesOnlyMatches(s.state_backend, options.filesOnly, state))
      : state.backend === 'duckdb'
        ? await offline(dir, dbPath, out)
        : await offlineFilesOnly(dir, state, out);
    const bytes = manifest.files.reduce((n, f) => n + f.size, 0);
    if (tmp && target) await rename(tmp, target);
    return { to: target ?? '-', manifest, bytes };
  } finally {
    if (tmp) await rm(tmp, { force: true });
  }
}

type ArchiveOut = Parameters<typeof writeArchive>[2];

/**
 * An archive without the system tables only when asked for (PostgreSQL state), and never for
 * DuckDB state. `backend` is where the tables are: the config's word, or the live host's.
 */
function requireFilesOnlyMatches(backend: 'duckdb' | 'postgres', filesOnly: boolean | undefined, state: StateConfig): void {
  if (backend === 'postgres' && !filesOnly) {
    throw new InputError(
      `The system tables of this instance are in PostgreSQL, which aida backup does not archive. ${pgDumpAdvice(state)} ` +
        'Then archive the data directory with aida backup --files-only.',
    );
  }
  if (backend === 'duckdb' && filesOnly) {
    throw new InputError('--files-only is for instances whose state is in PostgreSQL; this one keeps it in state/system.duckdb, which the backup includes');
  }
}

/** The live host snapshots; its staging folder and leases are held until we release them (or disconnect). */
async function throughLiveHost(client: ControlClient, out: ArchiveOut, check: (s: SnapshotDescription) => void): Promise<BackupManifest> {
  try {
    const answer = await client.ask({ op: 'snapshot' });
    if (!('snapshot' in answer)) throw new UnavailableError('The live host answered something other than a snapshot');
    const { snapshot } = answer;
    // The live host knows where its state is; closing the connection releases the snapshot.
    check(snapshot);
    const writing = writeArchive(snapshot, snapshot.staging_dir, out);
    const outcome = await Promise.race([writing.then((m) => ({ manifest: m })), client.closed.then(() => ({ manifest: undefined }))]);
    if (!outcome.manifest) {
      writing.catch(() => undefined);
      throw new UnavailableError(
        'The host stopped while the backup was being written; nothing was kept: run aida backup again (the stopped instance is backed up directly)',
      );
    }
    await client.ask({ op: 'release' });
    return outcome.manifest;
  } finally {
    client.close();
  }
}

/** No host answers: open the files here. The system database's lock tells a host that does not answer on its socket. */
async function offline(dataDir: string, dbPath: string, out: ArchiveOut): Promise<BackupManifest> {
  const db = await openReadOnly(dataDir, dbPath);
  let snapshot: TakenSnapshot | undefined;
  try {
    snapshot = await takeSnapshot({
      dataDir,
      live: false,
      analyticsPath: join(dataDir, 'analytics', 'server.duckdb'),
      betweenCommits: (_dir, fn) => fn(),
      state: { backend: 'duckdb', copy: (dest) => copyDatabase({ run: (sql) => db.conn.run(sql), all: <T>(sql: string) => db.all<T>(sql) }, dest) },
    });
    return await writeArchive(snapshot.description, snapshot.description.staging_dir, out);
  } finally {
    await snapshot?.release();
    db.close();
  }
}

/**
 * PostgreSQL state and no live host: the data dir's files, and the schema version the server's
 * tables are at (so a restore can refuse an archive newer than it knows), asked of the server.
 */
async function offlineFilesOnly(dataDir: string, state: StateConfig, out: ArchiveOut): Promise<BackupManifest> {
  const db = await openSystemDb(state, dataDir);
  let parts: SnapshotParts;
  try {
    parts = {
      dataDir,
      live: false,
      analyticsPath: join(dataDir, 'analytics', 'server.duckdb'),
      betweenCommits: (_dir, fn) => fn(),
      state: { backend: 'postgres', schemaVersion: await schemaVersionOf(db) },
    };
  } finally {
    await db.close();
  }
  const snapshot = await takeSnapshot(parts);
  try {
    return await writeArchive(snapshot.description, snapshot.description.staging_dir, out);
  } finally {
    await snapshot.release();
  }
}
