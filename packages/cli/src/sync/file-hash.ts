// The hash of a download (its check, hash.ts) as its bytes reach the disk. Small files are
// hashed on the main thread chunk by chunk; large ones by a worker thread reading back what was
// written, because MD5 on the main thread (~1.2 s self time for 200 MB in `--cpu-prof`) was
// what bounded a large sync.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { hashFileInto, type HashAlgorithm } from './hash.js';
import type { HashWorkerData, HashWorkerMessage, HashWorkerReply } from './hash-worker.js';

/** Files at least this large are hashed off the main thread (a worker costs a few ms to start). */
export const WORKER_HASH_MIN_BYTES = 16 << 20;

export interface GrowingFileHash {
  /** Bytes that arrived, in order (hashed here when the main thread hashes). */
  update(bytes: Uint8Array): void;
  /** The file's bytes up to `size` are written. */
  written(size: number): void;
  /** The hex digest of the file's first `size` bytes (all of them written). */
  digest(size: number): Promise<string>;
  /** Stops hashing (a failed transfer). */
  close(): void;
}

const POST_EVERY = 8 << 20;
const workerUrl = new URL('./hash-worker.js', import.meta.url);

/**
 * Hashes the file at `path` whose first `existing` bytes are already on disk (a resumed
 * download) and whose remaining bytes are passed to `update` and written in order.
 */
export async function growingFileHash(path: string, existing: number, expectedSize: number, algorithm: HashAlgorithm): Promise<GrowingFileHash> {
  // Under a test runner executing the TypeScript sources there is no compiled worker.
  if (expectedSize >= WORKER_HASH_MIN_BYTES && existsSync(fileURLToPath(workerUrl))) return workerHash(path, existing, algorithm);
  const hash = createHash(algorithm);
  if (existing > 0) await hashFileInto(hash, path);
  return {
    update: (bytes) => void hash.update(bytes),
    written: () => undefined,
    digest: () => Promise.resolve(hash.digest('hex')),
    close: () => undefined,
  };
}

function workerHash(path: string, existing: number, algorithm: HashAlgorithm): GrowingFileHash {
  const worker = new Worker(workerUrl, { workerData: { path, algorithm } satisfies HashWorkerData });
  const reply = new Promise<string>((resolve, reject) => {
    worker.once('message', (m: HashWorkerReply) => ('digest' in m ? resolve(m.digest) : reject(new Error(`hashing ${path}: ${m.error}`))));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`hashing ${path}: the hashing thread exited (${code})`)));
  });
  // Not awaited before digest(): a rejection there would otherwise go unhandled.
  reply.catch(() => undefined);
  const post = (m: HashWorkerMessage) => worker.postMessage(m);
  // A message per 1 MiB write showed as ~280 ms of postMessage for 200 MB: tell it every 8 MiB.
  let told = existing;
  if (existing > 0) post({ upTo: existing });
  return {
    update: () => undefined,
    written(size) {
      if (size - told < POST_EVERY) return;
      told = size;
      post({ upTo: size });
    },
    async digest(size) {
      post({ upTo: size, final: true });
      try {
        return await reply;
      } finally {
        void worker.terminate();
      }
    },
    close: () => void worker.terminate(),
  };
}
