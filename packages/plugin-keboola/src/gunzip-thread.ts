// Gunzipping downloads on a worker thread (gunzip-worker.ts): the main thread keeps the HTTP,
// retries and timeouts, and hands the gzip bytes over; the worker inflates and writes the CSV.
// One worker serves every download of a client, started on first use and stopped when idle.
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { GunzipReply, GunzipRequest } from './gunzip-worker.js';

/** The compiled worker next to this module; absent when a test runner executes the TypeScript sources. */
export function defaultGunzipWorkerUrl(): URL | null {
  const url = new URL('./gunzip-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : null;
}

/** Gzip bytes are handed over in batches of this size (a message per 64 KiB socket read cost more than the copy). */
const BATCH_BYTES = 1 << 20;
/** Bytes handed over and not yet inflated, per download, before its socket is paused. */
const IN_FLIGHT_BYTES = 4 << 20;
/** A worker left without downloads this long is stopped (the next download starts another). */
const IDLE_MS = 10_000;

interface Job {
  onReply(m: GunzipReply): void;
  onFailure(e: Error): void;
}

/** A gunzip worker shared by a client's downloads. */
export class GunzipThread {
  private worker?: Worker;
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;
  private idle?: NodeJS.Timeout;

  constructor(
    private readonly url: URL,
    private readonly idleMs = IDLE_MS,
  ) {}

  /** Whether a worker is started (it stops once idle for `idleMs`). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /**
   * A stream taking a download's gzip bytes and writing them, gunzipped, to `path`. It finishes
   * once the file is complete (`bytes` then holds its size); a truncated or corrupt body fails
   * it with zlib's error, as a main-thread gunzip would.
   */
  sink(path: string): GunzipSink {
    const worker = this.start();
    const id = this.nextId++;
    const sink = new GunzipSink(
      (m, transfer) => worker.postMessage(m, transfer),
      id,
      () => this.release(id),
    );
    this.jobs.set(id, sink);
    worker.postMessage({ type: 'open', id, path } satisfies GunzipRequest);
    return sink;
  }

  private start(): Worker {
    clearTimeout(this.idle);
    if (this.worker) {
      // Referenced while it has work: an awaited download must keep the process alive.
      this.worker.ref();
      return this.worker;
    }
    const worker = new Worker(this.url);
    worker.on('message', (m: GunzipReply) => this.jobs.get(m.id)?.onReply(m));
    const stopped = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const jobs = [...this.jobs.values()];
      this.jobs.clear();
      for (const job of jobs) job.onFailure(new Error(`the gunzip thread stopped: ${why}`));
    };
    worker.on('error', (e) => stopped(e.message));
    worker.on('exit', (code) => stopped(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  private release(id: number): void {
    this.jobs.delete(id);
    if (this.jobs.size || !this.worker) return;
    const worker = this.worker;
    worker.unref();
    this.idle = setTimeout(() => {
      if (this.jobs.size || this.worker !== worker) return;
      this.worker = undefined;
      void worker.terminate();
    }, this.idleMs);
    this.idle.unref();
  }
}

/** The main-thread end of one download's gunzip: batches, hands over, and waits for the worker's acks. */
export class GunzipSink extends Writable implements Job {
  /** Bytes of CSV written, once finished. */
  bytes = 0;
  private batch: Uint8Array | null = null;
  private filled = 0;
  private inFlight = 0;
  private blocked?: (e?: Error | null) => void;
  private finishing?: (e?: Error | null) => void;
  private failure?: Error;
  private settled = false;

  constructor(
    private readonly post: (m: GunzipRequest, transfer?: ArrayBuffer[]) => void,
    private readonly id: number,
    private readonly release: () => void,
  ) {
    super();
  }

  override _write(chunk: Uint8Array, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.failure) return cb(this.failure);
    // Copied into a buffer of our own: a socket's chunk may share its memory with other chunks,
    // so it cannot be transferred.
    for (let at = 0; at < chunk.length;) {
      this.batch ??= new Uint8Array(BATCH_BYTES);
      const n = Math.min(chunk.length - at, BATCH_BYTES - this.filled);
      this.batch.set(chunk.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === BATCH_BYTES) this.flush();
    }
    if (this.inFlight < IN_FLIGHT_BYTES) cb();
    else this.blocked = cb;
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (this.failure) return cb(this.failure);
    this.flush();
    this.finishing = cb;
    this.post({ type: 'end', id: this.id });
  }

  override _destroy(e: Error | null, cb: (e?: Error | null) => void): void {
    if (!this.settled) this.post({ type: 'abort', id: this.id });
    this.settle();
    cb(e);
  }

  onReply(m: GunzipReply): void {
    if (m.type === 'ack') {
      this.inFlight -= m.bytes;
      if (this.blocked && this.inFlight < IN_FLIGHT_BYTES) {
        const cb = this.blocked;
        this.blocked = undefined;
        cb();
      }
    } else if (m.type === 'done') {
      this.bytes = m.bytes;
      this.settle();
      this.finishing?.();
    } else {
      this.onFailure(Object.assign(new Error(m.message), m.code ? { code: m.code } : {}));
    }
  }

  onFailure(e: Error): void {
    if (this.settled) return;
    this.settle();
    this.failure = e;
    const cb = this.blocked ?? this.finishing;
    this.blocked = this.finishing = undefined;
    if (cb) cb(e);
    else this.destroy(e);
  }

  private flush(): void {
    if (!this.batch || !this.filled) return;
    const chunk = this.batch.buffer as ArrayBuffer;
    this.post({ type: 'data', id: this.id, chunk, length: this.filled }, [chunk]);
    this.inFlight += this.filled;
    this.batch = null;
    this.filled = 0;
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.release();
  }
}
