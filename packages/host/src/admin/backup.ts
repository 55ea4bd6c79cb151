import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ConflictError, InputError, queryRows, UnavailableError } from '@aida/core';
import { DataDirInUseError } from '../errors.js';
import { wantsGzip, writeArchive, type BackupManifest } from './archive.js';
import { ControlClient, controlSocketPath } from './control-channel.js';
import { copyDatabase, takeSnapshot, type TakenSnapshot } from './snapshot.js';
import { requireInstance } from './stopped-instance.js';

export interface BackupOutcome {
  /** The archive written, or `-` for standard output. */
  to: string;
  manifest: BackupManifest;
  bytes: number;
}

export interface BackupOptions {
  /** Replace an existing file at `to`. */
  force?: boolean;
}

/**
 * `aida backup --to FILE`: a consistent archive of an instance (see takeSnapshot for what is in
 * it), live or stopped. With a live host, the host itself takes the snapshot (its system database
 * is locked to it) and this process archives it through the control socket; with none, the files
 * are opened here, the system database read-only, which keeps a host from starting meanwhile.
 * `to` of `-` writes the archive to standard output. A file is written beside its name and renamed
 * into place once complete, so a failed backup leaves no partial archive.
 */
export async function backup(dataDir: string, to: string, options: BackupOptions = {}): Promise<BackupOutcome> {
  const dir = resolve(dataDir);
  const dbPath = requireInstance(dir);
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
    const manifest = client ? await throughLiveHost(client, out) : await offline(dir, dbPath, out);
    const bytes = manifest.files.reduce((n, f) => n + f.size, 0);
    if (tmp && target) await rename(tmp, target);
    return { to: target ?? '-', manifest, bytes };
  } finally {
    if (tmp) await rm(tmp, { force: true });
  }
}

type ArchiveOut = Parameters<typeof writeArchive>[2];

/** The live host snapshots; its staging folder and leases are held until we release them (or disconnect). */
async function throughLiveHost(client: ControlClient, out: ArchiveOut): Promise<BackupManifest> {
  try {
    const answer = await client.ask({ op: 'snapshot' });
    if (!('snapshot' in answer)) throw new UnavailableError('The live host answered something other than a snapshot');
    const { snapshot } = answer;
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
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(dbPath, { access_mode: 'READ_ONLY' });
  } catch (e) {
    if (/lock/i.test((e as Error).message)) {
      throw new DataDirInUseError(
        `${dbPath} is held by a host that does not answer on its control socket ${controlSocketPath(dataDir)} (an older AIDA, or a data dir path too long for a socket): stop it to back up, or upgrade it`,
        { cause: e },
      );
    }
    throw e;
  }
  const conn = await instance.connect();
  let snapshot: TakenSnapshot | undefined;
  try {
    snapshot = await takeSnapshot({
      dataDir,
      live: false,
      analyticsPath: join(dataDir, 'analytics', 'server.duckdb'),
      betweenCommits: (_dir, fn) => fn(),
      copySystemDb: (dest) => copyDatabase({ run: (sql) => conn.run(sql), all: <T>(sql: string) => queryRows<T>(conn, sql) }, dest),
    });
    return await writeArchive(snapshot.description, snapshot.description.staging_dir, out);
  } finally {
    await snapshot?.release();
    conn.closeSync();
    instance.closeSync();
  }
}
