// Many small files in one request (`POST /api/sync/download`, docs/data-api.md): a record per
// file, a JSON header line and then its bytes, and a last line saying the answer is complete.
// A request per file cost the server and `da` more than the file itself: a first sync of 1,000
// small tables was ~2x a plain client's, with both processes busy on per-request work. Each file
// is checked against the manifest as a single download is, and written in one call. Whatever
// this request could not deliver whole and verified — an error record, a hash that does not
// match, a broken or truncated answer — is handed back to be fetched singly (with the single
// download's retries and its messages).
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Api } from '../api.js';
import { CliError } from '../errors.js';
import type { Workspace } from '../workspace.js';
import { partPath, writeWholePart, type Downloaded } from './download.js';
import type { FileJob } from './plan.js';

/** Files per request. */
export const BULK_FILES = 100;

export interface BulkResult {
  done: Downloaded[];
  /** Not delivered whole and verified: fetch these one by one. */
  again: FileJob[];
}

interface Header {
  table?: string;
  part?: string | null;
  size?: number;
  error?: { status: number; code: string; message: string };
  end?: boolean;
}

const key = (table: string, part: string | null | undefined) => `${table}\0${part ?? ''}`;

export interface BulkOptions {
  /** Called when the server answered (its headers are in). */
  onAnswer?: () => void;
  /** A file's bytes begin (a progress bar per file, as for single downloads). */
  onStart?: (job: FileJob) => void;
  /** The bytes of a started file that arrived so far. */
  onBytes?: (job: FileJob, done: number) => void;
  /** A started file is over: written (`d`), or not (it is fetched again singly). */
  onEnd?: (job: FileJob, d?: Downloaded) => void;
  /** Longest silence while receiving the answer. */
  idleTimeoutMs?: number;
}

/**
 * Fetches `jobs` in one request. Null when the server has no such route (an older host): the
 * caller fetches them one by one.
 */
export async function downloadBulk(api: Api, ws: Workspace, jobs: readonly FileJob[], o: BulkOptions = {}): Promise<BulkResult | null> {
  const waiting = new Map(jobs.map((j) => [key(j.table, j.part), j]));
  const done: Downloaded[] = [];
  const idle = new AbortController();
  let res: IncomingMessage;
  try {
    res = await api.download('/api/sync/download', {
      method: 'POST',
      body: { files: jobs.map((j) => (j.part === undefined ? { table: j.table } : { table: j.table, part: j.part })) },
      headers: { accept: 'application/vnd.aida.files' },
      signal: idle.signal,
    });
  } catch (e) {
    if (e instanceof CliError && (e.details.status === 404 || e.details.status === 405)) return null;
    return { done, again: [...waiting.values()] };
  } finally {
    o.onAnswer?.();
  }
  const idleMs = o.idleTimeoutMs ?? 60_000;
  const timer = setTimeout(() => idle.abort(new CliError('network', `POST /api/sync/download: no data for ${idleMs / 1000} s`)), idleMs);
  // The record being read: its header (once its line is in) and the bytes of its file so far.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let current: { job: FileJob; size: number; chunks: Buffer[]; got: number } | undefined;
  let ended = false;
  /** Consumes `bytes`; false once the answer cannot be read on (what is left is fetched again). */
  const take = (bytes: Buffer): boolean => {
    let at = 0;
    while (at < bytes.length) {
      if (current) {
        const n = Math.min(current.size - current.got, bytes.length - at);
        current.chunks.push(bytes.subarray(at, at + n));
        current.got += n;
        at += n;
        o.onBytes?.(current.job, current.got);
        if (current.got === current.size) {
          settle(current.job, current.chunks, current.size);
          current = undefined;
        }
        continue;
      }
      const nl = bytes.indexOf(10, at);
      if (nl < 0) {
        pending.push(bytes.subarray(at));
        pendingBytes += bytes.length - at;
        // A header line is short: this is not an answer we understand.
        return pendingBytes < 64 * 1024;
      }
      const text = Buffer.concat([...pending, bytes.subarray(at, nl)]).toString('utf8');
      pending = [];
      pendingBytes = 0;
      at = nl + 1;
      let h: Header;
      try {
        h = JSON.parse(text) as Header;
      } catch {
        return false;
      }
      if (h.end) {
        ended = true;
        return true;
      }
      const job = typeof h.table === 'string' ? waiting.get(key(h.table, h.part)) : undefined;
      if (!job) return false;
      if (h.error) continue; // fetched singly, which reports the server's answer
      if (typeof h.size !== 'number' || h.size !== job.size) return false;
      current = { job, size: h.size, chunks: [], got: 0 };
      o.onStart?.(job);
      if (h.size === 0) {
        settle(job, [], 0);
        current = undefined;
      }
    }
    return true;
  };
  const settle = (job: FileJob, chunks: Buffer[], size: number) => {
    const hash = createHash(job.check.algorithm);
    for (const c of chunks) hash.update(c);
    // A file that does not match is fetched again singly (which reports it if it persists).
    if (hash.digest('hex') !== job.check.digest) return o.onEnd?.(job);
    const part = partPath(ws, job);
    writeWholePart(part, chunks, size);
    const d: Downloaded = { job, partPath: part, resumedFrom: 0, transferred: size };
    waiting.delete(key(job.table, job.part));
    done.push(d);
    o.onEnd?.(job, d);
  };
  try {
    for await (const chunk of res) {
      timer.refresh();
      if (!take(chunk as Buffer) || ended) break;
    }
  } catch {
    // A broken answer: what did not arrive whole is fetched again.
  } finally {
    clearTimeout(timer);
    res.destroy();
  }
  if (current) o.onEnd?.(current.job); // cut off in the middle of a file
  return { done, again: [...waiting.values()] };
}
