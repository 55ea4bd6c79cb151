/**
 * A file an export's COPY writes on a scratch instance, sent to the client as it grows, read
 * from behind the writer: the engine works at its own speed and never waits for the client,
 * and a slow client does not hold the query's slot, freed once the COPY is done.
 *
 * Why a file the engine never waits on: NDJSON and CSV used to go through a 64 KB named pipe,
 * where each DuckDB write waited for the host to read it — a 10M-row NDJSON export took twice
 * as long as the same COPY to a file; Parquet used to be written whole before its first byte
 * went out. The cost is disk: a spool holds its whole answer until its response ends, bounded
 * by what the engine writes within its time budget (`query.timeout`) and, for NDJSON and CSV,
 * by the runner's cap on spools at once.
 *
 * What every streamed answer guarantees holds: the response starts only once the first bytes
 * are in hand (a query that fails before is still a JSON error), a failure after that cuts the
 * body off, a client that reads nothing for the stall timeout — or goes away — is cut off and
 * the engine stopped if it still runs. Memory is a few reads of the file, their buffers reused
 * once sent (read-buffers.ts); the file is removed when the response ends, however it ends.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataContext } from '../context.js';
import { ClientGone, type EngineClock } from './clock.js';
import type { QueryLimits } from './limits.js';
import { ReadBuffers, ResponseBody } from './read-buffers.js';
import { drained } from './stream.js';

/** Bytes read from the spool at a time, as downloads read files. */
const READ_SIZE = 1 << 20;
/** How long the reader waits, once it has caught up with the engine, before it looks again (ms). */
const CAUGHT_UP_WAIT = 5;

export interface SpoolOptions<T> {
  /** Text sent before the file's bytes (the CSV header). */
  header?: string;
  /** Called with the COPY's value once every byte is sent, just before the body ends (the Parquet row count, as a trailer). */
  last?: (value: T) => void;
  /** The COPY is over, however it ended: the slot may go. */
  copied: () => void;
  /** The response is over and the file gone. */
  removed: () => void;
}

/**
 * Runs `write(path)` — a COPY into `path` in `scratchDir` — and streams the file as it grows
 * (see the file comment). Resolves once the first bytes are in hand (or the COPY ended with
 * none), or rejects with the COPY's error; `copied` and `removed` are each called once.
 */
export async function sendSpool<T>(
  ctx: DataContext,
  clock: EngineClock,
  limits: QueryLimits,
  scratchDir: string,
  write: (path: string) => Promise<T>,
  options: SpoolOptions<T>,
): Promise<Readable> {
  const path = join(scratchDir, `${randomUUID()}.spool`);
  // Created and opened before the COPY writes it (DuckDB truncates the same file, keeping its inode).
  const file = await mkdir(scratchDir, { recursive: true })
    .then(() => open(path, 'w+', 0o600))
    .catch((e: unknown) => {
      options.copied();
      options.removed();
      throw e;
    });
  const out = new ResponseBody({ highWaterMark: READ_SIZE });
  const buffers = new ReadBuffers(out, READ_SIZE, options.header ? Buffer.byteLength(options.header) : 0);

  let copyDone = false;
  let copyError: unknown;
  let value: T | undefined;
  const copying = write(path).then(
    (v) => {
      value = v;
      copyDone = true;
    },
    (e: unknown) => {
      copyError = e;
      copyDone = true;
    },
  );
  void copying.finally(options.copied);

  let onStart!: () => void;
  let onFail!: (e: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    onStart = resolve;
    onFail = reject;
  });
  let started = false;
  const begin = () => {
    started = true;
    if (options.header) out.write(options.header);
    onStart();
  };

  /** Sends the file as it grows, until the COPY is over and every byte of it is sent. */
  const send = async () => {
    let position = 0;
    for (;;) {
      const done = copyDone; // read before the file: a COPY over now has written every byte
      const buffer = buffers.take();
      const { bytesRead } = await file.read(buffer, 0, READ_SIZE, position);
      if (bytesRead > 0) {
        position += bytesRead;
        if (!started) begin();
        const full = !out.write(buffer.subarray(0, bytesRead));
        buffers.written(buffer, bytesRead);
        if (full) await drained(out, limits);
        continue;
      }
      buffers.written(buffer, 0);
      if (done) break;
      await Promise.race([copying, sleep(CAUGHT_UP_WAIT)]);
      if (out.destroyed) throw new ClientGone();
    }
    if (copyError) throw copyError;
    if (!started) begin();
    options.last?.(value as T);
    out.end();
  };

  let finished = false;
  out.once('close', () => {
    // The client went away (or the response failed) before the end: stop the engine, if it still runs.
    if (!finished) clock.cancel();
  });
  send()
    .then(
      () => void (finished = true),
      (e: unknown) => {
        const quiet = e instanceof ClientGone || clock.cancelled;
        if (!copyDone) clock.cancel();
        if (!started) return onFail(e);
        if (!quiet) ctx.logger.warn({ err: e }, 'a streaming query failed after its response had started');
        out.destroy(e instanceof Error ? e : new Error(String(e)));
      },
    )
    // The COPY is over (stopped, if the response was cut off) before the file goes.
    .finally(() => copying)
    .finally(async () => {
      await file.close().catch(() => undefined);
      await rm(path, { force: true }).catch((e: unknown) => ctx.logger.warn({ err: e }, 'could not remove a query spool'));
      options.removed();
    });
  await ready;
  return out;
}
