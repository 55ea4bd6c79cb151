import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { z } from 'zod';
import { InputError } from '@aida/core';
import { HOST_VERSION } from '../version.js';
import type { SnapshotDescription } from './control-channel.js';

/** The first entry of every backup archive; the instance's files follow under `data/`. */
export const MANIFEST_NAME = 'aida-backup.json';

const manifestFileSchema = z.object({
  /** Path inside the data dir, posix separators. */
  path: z
    .string()
    .min(1)
    .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a relative path inside the data dir'),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const manifestSchema = z.object({
  format: z.literal('aida-backup'),
  version: z.literal(1),
  created_at: z.string(),
  aida_version: z.string(),
  /** Schema version of the archived system database: a restore refuses one newer than it knows. */
  schema_version: z.number().int(),
  /**
   * Where the system tables were: `postgres` means this archive holds the data dir's files only
   * (`aida backup --files-only`), the tables being backed up with pg_dump. Older archives: duckdb.
   */
  state_backend: z.enum(['duckdb', 'postgres']).default('duckdb'),
  /** The data dir it was taken from: the analytics database's views name files under it. */
  data_dir: z.string(),
  /** Taken from a live host through its control socket. */
  live: z.boolean(),
  files: z.array(manifestFileSchema),
  warnings: z.array(z.string()),
});
export type BackupManifest = z.infer<typeof manifestSchema>;

export async function sha256File(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** `name.tar.gz` / `name.tgz` are compressed; anything else is a plain tar (Parquet is compressed already). */
export function wantsGzip(path: string): boolean {
  return /\.(tgz|tar\.gz)$/i.test(path);
}

/**
 * Hashes every file of a snapshot into the manifest and writes the archive: the manifest, then
 * `data/<path>` for each file, to `out` (a stream, or a file path). The snapshot's files must
 * not change while this runs (they are its own copies, or immutable content-addressed Parquet).
 */
export async function writeArchive(
  snapshot: SnapshotDescription,
  stagingDir: string,
  out: { file: string; gzip: boolean } | { stream: NodeJS.WritableStream; gzip: boolean },
): Promise<BackupManifest> {
  const files: BackupManifest['files'] = [];
  for (const f of snapshot.files) files.push({ path: f.name, ...(await sha256File(f.path)) });
  files.sort((a, b) => a.path.localeCompare(b.path));
  const manifest: BackupManifest = {
    format: 'aida-backup',
    version: 1,
    created_at: new Date().toISOString(),
    aida_version: HOST_VERSION,
    schema_version: snapshot.schema_version,
    state_backend: snapshot.state_backend,
    data_dir: snapshot.data_dir,
    live: snapshot.live,
    files,
    warnings: snapshot.warnings,
  };
  await writeFile(join(stagingDir, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  const entries = [MANIFEST_NAME, ...files.map((f) => `data/${f.path}`)];
  // follow: a Parquet file linked in by symlink (another file system) is archived as its bytes.
  const options = { cwd: stagingDir, gzip: out.gzip, portable: true, follow: true, strict: true };
  if ('file' in out) await tar.c({ ...options, file: out.file }, entries);
  else await pipeline(tar.c(options, entries), out.stream);
  return manifest;
}

/**
 * Unpacks an archive (a file, or a stream such as stdin) into `into` and checks it against its
 * manifest: every file listed is there with its size and SHA-256, nothing else is. Links,
 * devices and paths leaving the folder are refused (tar drops `..` and absolute paths itself).
 */
export async function unpackArchive(from: string | NodeJS.ReadableStream, into: string): Promise<BackupManifest> {
  const refused: string[] = [];
  const options = {
    cwd: into,
    strict: true,
    preserveOwner: false,
    filter: (path: string, entry: unknown) => {
      const type = (entry as tar.ReadEntry).type;
      if (type === 'File' || type === 'OldFile' || type === 'Directory') return true;
      refused.push(`${path} (${type})`);
      return false;
    },
  };
  try {
    if (typeof from === 'string') await tar.x({ ...options, file: from });
    else await pipeline(from, tar.x(options));
  } catch (e) {
    throw new InputError(`${typeof from === 'string' ? from : 'the input'} is not a readable tar archive: ${(e as Error).message}`, { cause: e });
  }
  if (refused.length) throw new InputError(`The archive holds entries a backup never has: ${refused.slice(0, 5).join(', ')}`);
  const manifestPath = join(into, MANIFEST_NAME);
  if (!existsSync(manifestPath)) throw new InputError(`The archive is not an AIDA backup: it has no ${MANIFEST_NAME}`);
  let manifest: BackupManifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(await readFile(manifestPath, 'utf8')));
  } catch (e) {
    throw new InputError(`The archive's ${MANIFEST_NAME} is not a manifest this version of AIDA reads: ${(e as Error).message}`, { cause: e });
  }
  const present = new Set(await listFiles(join(into, 'data'), ''));
  const problems: string[] = [];
  for (const f of manifest.files) {
    if (!present.delete(f.path)) {
      problems.push(`${f.path} is missing`);
      continue;
    }
    const got = await sha256File(join(into, 'data', ...f.path.split('/')));
    if (got.size !== f.size || got.sha256 !== f.sha256)
      problems.push(`${f.path} does not match its hash (${got.size} bytes, sha256 ${got.sha256.slice(0, 12)}…)`);
  }
  for (const extra of present) problems.push(`${extra} is not in the manifest`);
  if (problems.length) {
    throw new InputError(
      `The backup is damaged: ${problems.length} file${problems.length > 1 ? 's' : ''} fail the manifest check: ${problems.slice(0, 5).join('; ')}`,
      {
        detail: { problems },
      },
    );
  }
  return manifest;
}

async function listFiles(dir: string, prefix: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out;
}
