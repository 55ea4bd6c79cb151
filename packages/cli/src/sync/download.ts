// One verified, resumable download. Bytes land in `<file>.<md5>.part` beside the target: an
// interrupted transfer (killed process, dropped connection) resumes from the part's size with
// `Range` + `If-Range` (so a file that changed meanwhile is fetched whole), and the hash of the
// complete part must equal the manifest's (its SHA-256, or its MD5 from a server without one). `installFiles` then renames the verified parts of a
// table over its files — all of them or, when one part of the table failed, none.
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, open, readdir, rm, stat, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, type Api } from '../api.js';
import { CliError, dataError } from '../errors.js';
import type { Workspace } from '../workspace.js';
import { growingFileHash, type GrowingFileHash } from './file-hash.js';
import { fileDigest } from './hash.js';
import type { FileJob } from './plan.js';
import type { LocalFile } from './state.js';

export interface DownloadOptions {
  /** Called when the server answered (its headers are in), before the body is read. */
  onAnswer?: () => void;
  /** Called with the bytes of this file that are on disk so far (including resumed ones). */
  onBytes?: (done: number) => void;
  /** Longest silence while receiving a body. */
  idleTimeoutMs?: number;
  /** Told why an attempt failed before the next one. */
  onRetry?: (message: string) => void;
  /** The caller knows there is no partial download of this file yet (removeStaleParts listed the folder): no stat before the first attempt. */
  noPart?: boolean;
}

export interface Downloaded {
  job: FileJob;
  /** The verified `.part` file, ready for installFiles. */
  partPath: string;
  /** Bytes already on disk from an earlier, interrupted run. */
  resumedFrom: number;
  transferred: number;
}

export async function downloadFile(api: Api, ws: Workspace, job: FileJob, o: DownloadOptions = {}): Promise<Downloaded> {
  const part = partPath(ws, job);
  await ensureDir(dirname(part));
  // The client's retry settings (DA_RETRIES, DA_BACKOFF_MS), applied per resuming attempt.
  const { retries, backoffMs } = api;
  let resumedFrom = -1;
  let transferred = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      const have =
        attempt === 0 && o.noPart
          ? 0
          : await stat(part).then(
              (s) => s.size,
              () => 0,
            );
      // A complete part from an interrupted run needs no transfer, only the check below.
      const r =
        have === job.size
          ? { resumedFrom: job.size, transferred: 0, size: have, digest: await fileDigest(part, job.check.algorithm) }
          : await fetchInto(api, job, part, have, o);
      if (resumedFrom < 0) resumedFrom = r.resumedFrom;
      transferred += r.transferred;
      if (r.size !== job.size || r.digest !== job.check.digest) {
        await rm(part, { force: true });
        throw dataError(
          `${job.path}: downloaded ${r.size} bytes with ${NAMES[job.check.algorithm]} ${r.digest}, the manifest says ${job.size} bytes with ${NAMES[job.check.algorithm]} ${job.check.digest}`,
          "run da sync again; if it repeats, the server's file changed during the sync",
        );
      }
      return { job, partPath: part, resumedFrom: Math.max(0, resumedFrom), transferred };
    } catch (e) {
      const retryable = !(e instanceof CliError) || e.kind === 'network' || e.kind === 'server' || e.kind === 'data';
      if (!retryable || attempt >= retries) throw e;
      const wait = backoffDelay(backoffMs, attempt);
      o.onRetry?.(`${(e as Error).message}; retrying in ${wait} ms (attempt ${attempt + 2} of ${retries + 1})`);
      await sleep(wait);
    }
  }
}

/** Folders made in this process: a first sync of 1,000 tables asked for the same one 1,000 times. */
const madeDirs = new Set<string>();
async function ensureDir(dir: string): Promise<void> {
  if (madeDirs.has(dir)) return;
  await mkdir(dir, { recursive: true });
  madeDirs.add(dir);
}

/** A small file received whole (`size` bytes in `chunks`), written to its part file in one call. */
export function writeWholePart(part: string, chunks: readonly Buffer[], size: number): void {
  const dir = dirname(part);
  if (!madeDirs.has(dir)) {
    mkdirSync(dir, { recursive: true });
    madeDirs.add(dir);
  }
  writeFileSync(part, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
}

const WRITE_BATCH = 1 << 20;

/** One attempt's outcome: the part's size and the hex digest of its bytes (job.check's algorithm). */
interface Attempt {
  resumedFrom: number;
  transferred: number;
  size: number;
  digest: string;
}

const NAMES = { sha256: 'SHA-256', md5: 'MD5' } as const;

/** One attempt: appends to (resuming) or rewrites the part, which holds `have` bytes now. */
async function fetchInto(api: Api, job: FileJob, part: string, have: number, o: DownloadOptions): Promise<Attempt> {
  const resume = have > 0 && have < job.size;
  const query = job.part === undefined ? '' : `?part=${encodeURIComponent(job.part)}`;
  const idle = new AbortController();
  // No retries inside: downloadFile retries the whole attempt (resuming), DA_RETRIES times.
  const res = await api.download(`/api/data/${encodeURIComponent(job.table)}/download${query}`, {
    headers: { accept: 'application/vnd.apache.parquet', ...(resume ? { range: `bytes=${have}-`, 'if-range': `"${job.hash}"` } : {}) },
    signal: idle.signal,
  });
  o.onAnswer?.();
  if (res.statusCode === 204 || res.statusCode === 304) {
    res.destroy();
    throw new CliError('server', `${job.path}: the server answered ${res.statusCode} without a body`);
  }
  const appending = resume && res.statusCode === 206;
  let done = appending ? have : 0;
  o.onBytes?.(done);
  const idleMs = o.idleTimeoutMs ?? 60_000;
  // One timer for the whole body, pushed back on every chunk (refresh() allocates nothing).
  const timer = setTimeout(() => idle.abort(new CliError('network', `${job.path}: no data for ${idleMs / 1000} s`)), idleMs);
  if (!appending && job.size <= SMALL_FILE) return fetchSmall(job, part, res, timer, idle.signal, o);
  // Chunks are written in batches of up to 1 MiB, and what is batched is written out even when
  // the transfer breaks, so every byte that arrived is there for the next attempt to resume
  // from (a killed process loses at most the last batch).
  let fh: FileHandle;
  try {
    fh = await open(part, appending ? 'a' : 'w');
  } catch (e) {
    // Nothing will read the body: free the connection (and the idle timer) now.
    clearTimeout(timer);
    res.destroy();
    throw e;
  }
  // The hash is computed as the bytes arrive (after the bytes already on disk when resuming).
  let hash: GrowingFileHash | undefined;
  let batch: Uint8Array[] = [];
  let batched = 0;
  const flush = async () => {
    if (!batched) return;
    const out = batch;
    batch = [];
    batched = 0;
    await fh.writev(out);
    hash?.written(done);
  };
  try {
    hash = await growingFileHash(part, done, job.size, job.check.algorithm);
    for await (const chunk of res) {
      const bytes = chunk as Buffer;
      batch.push(bytes);
      batched += bytes.length;
      done += bytes.length;
      hash.update(bytes);
      timer.refresh();
      if (batched >= WRITE_BATCH) await flush();
      o.onBytes?.(done);
    }
    await flush();
  } catch (e) {
    hash?.close();
    await flush().catch(() => undefined);
    res.destroy();
    if (idle.signal.aborted) throw idle.signal.reason;
    const err = e as Error & { code?: string; cause?: { code?: string } };
    throw new CliError('network', `${job.path}: the transfer broke off after ${done} bytes (${err.cause?.code ?? err.code ?? err.message})`);
  } finally {
    clearTimeout(timer);
    await fh.close();
  }
  // No fsync per file: a file the state does not yet record is only trusted after its hash is
  // checked again (plan.ts), so a crash can cost a re-download but never a wrong file.
  return { resumedFrom: appending ? have : 0, transferred: done - (appending ? have : 0), size: done, digest: await hash.digest(done) };
}

/**
 * Files up to this size are received in memory and written in one synchronous call. Through
 * a file handle, each small file cost four thread hand-offs (open, write, close, and the
 * rename later): here about twice the CPU of the same calls made synchronously (1,000 3 KB
 * files: 1.3 s against 0.7 s, most of it creating the file), on two cores shared with the
 * server in the bench. A killed process loses at most such a file, fetched whole again.
 */
export const SMALL_FILE = 1 << 20;

/** A whole small body, hashed as it arrives, then written to the part in one call. */
async function fetchSmall(job: FileJob, part: string, res: IncomingMessage, timer: NodeJS.Timeout, signal: AbortSignal, o: DownloadOptions): Promise<Attempt> {
  const hash = createHash(job.check.algorithm);
  const chunks: Buffer[] = [];
  let done = 0;
  try {
    for await (const chunk of res) {
      const bytes = chunk as Buffer;
      // More than the manifest says: no point receiving the rest (the size check below fails it).
      if (done + bytes.length > SMALL_FILE) break;
      chunks.push(bytes);
      hash.update(bytes);
      done += bytes.length;
      timer.refresh();
      o.onBytes?.(done);
    }
  } catch (e) {
    res.destroy();
    if (signal.aborted) throw signal.reason;
    const err = e as Error & { code?: string; cause?: { code?: string } };
    throw new CliError('network', `${job.path}: the transfer broke off after ${done} bytes (${err.cause?.code ?? err.code ?? err.message})`);
  } finally {
    clearTimeout(timer);
  }
  res.destroy();
  writeWholePart(part, chunks, done);
  return { resumedFrom: 0, transferred: done, size: done, digest: hash.digest('hex') };
}

/**
 * Renames verified parts over their files and returns what the state records of them. The
 * rename and stat are synchronous: two metadata calls of a few µs each, which as promises cost
 * a thread hand-off apiece — for 1,000 small tables ~3× the CPU (a micro-benchmark of the calls).
 */
export async function installFiles(ws: Workspace, done: readonly Downloaded[]): Promise<LocalFile[]> {
  const out: LocalFile[] = [];
  for (const d of done) {
    const target = join(ws.root, d.job.path);
    renameSync(d.partPath, target);
    const st = statSync(target);
    out.push({ path: d.job.path, part: d.job.part, hash: d.job.hash, size: st.size, mtime_ms: st.mtimeMs });
  }
  return out;
}

/** The partial download of a job's file. */
export function partPath(ws: Workspace, job: FileJob): string {
  return `${join(ws.root, job.path)}.${job.hash}.part`;
}

/**
 * Removes partial downloads no job of this sync will resume (left by an earlier run for
 * another version of a file): one pass over the download folders, not one per file.
 * Returns the partial downloads that stay (the ones jobs of this sync resume).
 */
export async function removeStaleParts(ws: Workspace, jobs: FileJob[]): Promise<Set<string>> {
  const keep = new Set(jobs.map((j) => partPath(ws, j)));
  const names = await readdir(ws.parquetDir, { recursive: true }).catch(() => [] as string[]);
  const parts = names
    .map(String)
    .filter((n) => n.endsWith('.part'))
    .map((n) => join(ws.parquetDir, n));
  await Promise.all(parts.filter((p) => !keep.has(p)).map((p) => rm(p, { force: true })));
  return new Set(parts.filter((p) => keep.has(p)));
}
