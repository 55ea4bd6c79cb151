import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ReadBuffers, ResponseBody } from '../../../src/data/query/read-buffers.js';
import { drained } from '../../../src/data/query/stream.js';

/**
 * The spool's read buffers are reused only once the socket has written what they held: a body
 * piped into a real HTTP response on loopback, read by a client that first reads nothing, gets
 * every byte as written though far more was sent than the buffers hold; piped anywhere else,
 * no buffer is reused.
 */

const SIZE = 64 * 1024;
const CHUNKS = 400; // 25 MB: far beyond the socket's and the streams' buffers
const limits = { stallTimeoutMs: 10_000 } as Parameters<typeof drained>[1];

/** Chunk `i`: SIZE bytes of a pattern no other chunk has. */
function fill(buffer: Buffer, i: number): void {
  for (let o = 0; o < SIZE; o += 4) buffer.writeUInt32LE((i * 2654435761 + o) >>> 0, o);
}

/** Writes CHUNKS chunks through `buffers` into `body`, as the spool does, and ends it. */
async function writeAll(body: ResponseBody, buffers: ReadBuffers): Promise<void> {
  for (let i = 0; i < CHUNKS; i++) {
    const buffer = buffers.take();
    fill(buffer, i);
    const full = !body.write(buffer.subarray(0, SIZE));
    buffers.written(buffer, SIZE);
    if (full) await drained(body, limits);
  }
  body.end();
}

function expectAll(got: Buffer): void {
  expect(got.length).toBe(SIZE * CHUNKS);
  const want = Buffer.allocUnsafe(SIZE);
  const bad: number[] = [];
  for (let i = 0; i < CHUNKS; i++) {
    fill(want, i);
    if (!got.subarray(i * SIZE, (i + 1) * SIZE).equals(want)) bad.push(i);
  }
  expect(bad).toEqual([]);
}

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

describe('read buffers', () => {
  it('piped into an HTTP response, reuses its few buffers and every byte arrives as written, with a client that lags', async () => {
    let buffers!: ReadBuffers;
    let writing!: Promise<void>;
    server = createServer((_req, res) => {
      const body = new ResponseBody({ highWaterMark: SIZE });
      buffers = new ReadBuffers(body, SIZE);
      body.pipe(res);
      writing = writeAll(body, buffers);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const res = await new Promise<IncomingMessage>((resolve, reject) => request({ port, host: '127.0.0.1' }, resolve).once('error', reject).end());
    res.pause();
    await new Promise((r) => setTimeout(r, 300)); // the socket fills while nothing is read
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const chunk of res) {
      chunks.push(chunk as Buffer);
      // Read slowly now and then, so that buffers are held at different depths.
      if (++n % 50 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await writing;
    expectAll(Buffer.concat(chunks));
    // Reused, not allocated per read: most reads found a buffer of the set free.
    expect(buffers.fresh).toBeLessThan(CHUNKS / 4);
  });

  it('piped into a stream that is not an HTTP response, reuses nothing', async () => {
    const body = new ResponseBody({ highWaterMark: SIZE });
    const buffers = new ReadBuffers(body, SIZE);
    // A stream that keeps chunks past its own accounting: reuse here would garble them.
    const sink = new PassThrough({ highWaterMark: SIZE });
    body.pipe(sink);
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    await writeAll(body, buffers);
    await new Promise((r) => sink.once('end', r));
    expect(body.bytesSent()).toBeUndefined();
    expect(buffers.fresh).toBe(CHUNKS);
    expectAll(Buffer.concat(chunks));
  });
});
