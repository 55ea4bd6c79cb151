// Worker thread of `growingFileHash` (file-hash.ts): hashes a file that is still being written,
// reading it (from the page cache) up to the size the main thread last reported as written.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';

/** The worker's file and the hash it computes. */
export interface HashWorkerData {
  path: string;
  algorithm: 'sha256' | 'md5';
}
/** From the main thread: the file's bytes up to `upTo` are written; `final`: no more will come. */
export interface HashWorkerMessage {
  upTo: number;
  final?: boolean;
}
/** To the main thread: the digest once `final` was reached, or why hashing failed. */
export type HashWorkerReply = { digest: string } | { error: string };

const port = parentPort!;
const { path, algorithm } = workerData as HashWorkerData;
const hash = createHash(algorithm);
const fh = await open(path, 'r');
// 4 MiB reads: hashing, not the read calls, is what the time should go to.
const buf = Buffer.allocUnsafe(1 << 22);
let hashed = 0;
let target = 0;
let final = false;
let busy = false;

port.on('message', (m: HashWorkerMessage) => {
  target = Math.max(target, m.upTo);
  final ||= m.final === true;
  void pump();
});

async function pump(): Promise<void> {
  if (busy) return; // the running loop sees the new target
  busy = true;
  try {
    while (hashed < target) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, target - hashed), hashed);
      if (!bytesRead) throw new Error(`${path} ended after ${hashed} bytes, ${target} were written`);
      hash.update(buf.subarray(0, bytesRead));
      hashed += bytesRead;
    }
    if (final) {
      await fh.close();
      port.postMessage({ digest: hash.digest('hex') } satisfies HashWorkerReply);
    }
  } catch (e) {
    port.postMessage({ error: (e as Error).message } satisfies HashWorkerReply);
  } finally {
    busy = false;
  }
}
