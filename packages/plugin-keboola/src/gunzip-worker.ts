// Worker thread of `GunzipThread` (gunzip-thread.ts): gunzips the gzip bytes of downloads the
// main thread receives and writes the CSV to their files, several downloads at once. It exists
// so that the ~5x larger decompressed output is allocated here, where a garbage collection
// walks a heap of a few MB, and not in the host's isolate: there its 1 MiB buffers set off a
// full mark-compact every ~80 ms (perf: ~0.6 s of the ~2 s of CPU a 400 MB export's download
// took; with a 170 MB heap the download took 3.0 s of CPU on the main thread, 1.45 s here).
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { parentPort } from 'node:worker_threads';
import { createGunzip, type Gunzip } from 'node:zlib';

/** From the main thread: start a download's file, its gzip bytes (`length` of `chunk`), their end, or give it up. */
export type GunzipRequest =
  | { type: 'open'; id: number; path: string }
  | { type: 'data'; id: number; chunk: ArrayBuffer; length: number }
  | { type: 'end'; id: number }
  | { type: 'abort'; id: number };

/**
 * To the main thread: `ack` once a chunk's bytes were decompressed (its flow control), `done`
 * with the bytes written once the file is complete, or why it failed (zlib's message and code,
 * so a truncated or corrupt body is told apart as on the main thread).
 */
export type GunzipReply =
  { type: 'ack'; id: number; bytes: number } | { type: 'done'; id: number; bytes: number } | { type: 'error'; id: number; message: string; code?: string };

const port = parentPort!;
const jobs = new Map<number, Gunzip>();
const reply = (m: GunzipReply) => port.postMessage(m);

port.on('message', (m: GunzipRequest) => {
  if (m.type === 'open') return open(m.id, m.path);
  const gunzip = jobs.get(m.id);
  if (!gunzip) return;
  if (m.type === 'data') {
    // The write callback runs once zlib took the bytes and its output is below its high-water
    // mark: acking then carries the file's back-pressure to the main thread and the socket.
    gunzip.write(Buffer.from(m.chunk, 0, m.length), () => reply({ type: 'ack', id: m.id, bytes: m.length }));
  } else if (m.type === 'end') gunzip.end();
  else gunzip.destroy(new Error('aborted'));
});

function open(id: number, path: string): void {
  // 1 MiB inflate chunks: ~30% faster than zlib's 16 KiB default on CSV-sized streams.
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  const file = createWriteStream(path, { highWaterMark: 1 << 20 });
  jobs.set(id, gunzip);
  pipeline(gunzip, file)
    .then(
      () => reply({ type: 'done', id, bytes: file.bytesWritten }),
      (e: Error & { code?: string }) => reply({ type: 'error', id, message: e.message, code: e.code }),
    )
    .finally(() => jobs.delete(id));
}
