/**
 * The buffers a spool (spool.ts) is read into, reused once the response's socket has written
 * them. A fresh 1 MB Buffer per read made V8 count every byte sent as new external memory,
 * which sets off a full mark-compact of the host's heap every 64 MB: `perf` of a 10M-row
 * Parquet export showed V8's marking threads at a quarter of the process's samples, taken
 * from the engine's two threads, and its COPY took 2.2–2.9 s in the host against 1.6–1.7 s
 * with nothing read (or with the buffers reused).
 */
import { ServerResponse } from 'node:http';
import { PassThrough, type Writable } from 'node:stream';

/**
 * A response body that knows how many of the bytes written into it have left the process. That
 * is known only when it is piped into an HTTP response (as Koa does with a stream body): bytes
 * are then held, in order, by this stream's two sides and by the response and its socket,
 * whose `writableLength` counts a write until the kernel has taken it. Piped anywhere else, or
 * read some other way, nothing is ever known to be sent and no buffer is reused.
 */
export class ResponseBody extends PassThrough {
  private sink: ServerResponse | null | undefined;
  /** Bytes passed from this stream's writable side to its readable side. */
  private passed = 0;

  override _transform(chunk: Buffer, encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void): void {
    this.passed += chunk.length;
    done(null, chunk);
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    // One destination, an HTTP response: anything else may hold a chunk past its own accounting.
    this.sink = this.sink === undefined && destination instanceof ServerResponse ? destination : null;
    return super.pipe(destination, options);
  }

  /**
   * How many of the bytes written into this body the socket has written, when that is known:
   * the bytes passed on, less those still in this stream's readable side and in the response.
   * Bytes not yet passed on are in neither count.
   */
  bytesSent(): number | undefined {
    if (!this.sink) return undefined;
    return this.passed - this.readableLength - (this.sink as Writable).writableLength;
  }
}

/**
 * A few read buffers, each handed out again once the body has sent every byte it was last
 * used for. Reading and writing alternate (one read at a time): `take`, read into it, then
 * `written` with what went into the body.
 */
export class ReadBuffers {
  private readonly slots: { buffer: Buffer; end: number }[] = [];
  /** Every byte written into the body through these buffers (and before them, the header). */
  private total = 0;
  /** Reads that found no buffer of the set free and got a fresh one (for tests). */
  fresh = 0;

  constructor(
    private readonly body: ResponseBody,
    private readonly size: number,
    /** Bytes written into the body before the first read (the CSV header). */
    before = 0,
    private readonly count = 4,
  ) {
    this.total = before;
  }

  /** A buffer to read into: a free one of the set, a new one while the set is not full, else a fresh one. */
  take(): Buffer {
    const sent = this.body.bytesSent();
    if (sent !== undefined) {
      const free = this.slots.find((s) => s.end <= sent);
      if (free) {
        free.end = Infinity;
        return free.buffer;
      }
      if (this.slots.length < this.count) {
        const buffer = Buffer.allocUnsafeSlow(this.size);
        this.slots.push({ buffer, end: Infinity });
        return buffer;
      }
    }
    this.fresh++;
    return Buffer.allocUnsafe(this.size);
  }

  /** `bytes` of `buffer` were just written into the body (none: it is free again at once). */
  written(buffer: Buffer, bytes: number): void {
    this.total += bytes;
    const slot = this.slots.find((s) => s.buffer === buffer);
    if (slot) slot.end = bytes ? this.total : 0;
  }
}
