/**
 * NDJSON and CSV written by the engine: the checked, enclosed SELECT's lines (line-sql.ts) are
 * `COPY`ed by a scratch instance into a named pipe in the scratch folder, and the pipe is
 * streamed to the client as DuckDB writes it. No row passes through JavaScript; the bytes are
 * the ones the JavaScript encoder (stream.ts) writes for the same types.
 *
 * The guarantees of stream.ts hold: the response starts only once the first bytes are in hand
 * (a query that fails before is still a JSON error), a failure after that cuts the body off,
 * the engine-time budget runs only while the engine is not waiting for the client, a client
 * that reads nothing for the stall timeout — or goes away — is cut off, and its query stopped:
 * closing the pipe's read end fails DuckDB's next write (EPIPE; Node ignores SIGPIPE) and the
 * engine is interrupted. Memory is one batch of lines in the engine (see the `threads` below),
 * the pipe (64 KB), the socket's buffer and `out`'s 1 MB; the pipe is removed when the export
 * ends, however it ends.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { promisify } from 'node:util';
import { StatementType } from '@duckdb/node-api';
import { sqlString } from '@aida/core';
import type { Reader } from '../access.js';
import type { DataContext } from '../context.js';
import { ClientGone, type EngineClock } from './clock.js';
import { enclose } from './enclose.js';
import { checkQuery, describeColumns, execute, withAnalytics } from './engine.js';
import type { TextFormat } from './formats.js';
import { LINE_MACROS, RAW_LINES, linePlan, type LinePlan } from './line-sql.js';
import type { QueryLimits } from './limits.js';
import { withScratch } from './scratch.js';

const run = promisify(execFile);

/**
 * The lines of a checked query, planned on an analytics connection: null when the engine
 * cannot write them (a text that does not stay itself inside the wrapper, or a column type
 * line-sql.ts does not write) — the caller then streams it through JavaScript.
 */
export async function planLines(
  ctx: DataContext,
  clock: EngineClock,
  user: Reader,
  sql: string,
  format: Exclude<TextFormat, 'json'>,
  limit: number | undefined,
): Promise<LinePlan | null> {
  return withAnalytics(ctx, clock, async (conn) => {
    const checked = await checkQuery(ctx, conn, clock, user, sql);
    const wrapped = await enclose(conn, clock, sql, checked.node, limit);
    if (!wrapped) return null;
    return linePlan(format, wrapped, await describeColumns(conn, clock, wrapped));
  });
}

/** A named pipe in `dir`, open for reading (a socket: no thread-pool thread waits on it) and held open for writing. */
async function openPipe(dir: string): Promise<{ path: string; reader: Socket; keeper: number }> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${randomUUID()}.pipe`);
  await run('mkfifo', ['-m', '600', path]);
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    // A writer of our own, so the reader sees no end of file before DuckDB has opened the
    // pipe, nor after it closes it until the COPY is known to have succeeded.
    const keeper = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    return { path, reader: new Socket({ fd, readable: true, writable: false }), keeper };
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    await rm(path, { force: true });
    throw e;
  }
}

/** No named pipe could be made (no `mkfifo`, a file system without FIFOs): nothing was started. */
export class PipeUnavailableError extends Error {
  constructor(readonly reason: unknown) {
    super(`no named pipe for the export: ${reason instanceof Error ? reason.message : String(reason)}`);
  }
}

/**
 * Streams `plan` through a pipe (see the file comment). Resolves once the first bytes are in
 * hand (or the result turned out empty); `settled` is called once the export is over — unless
 * it throws PipeUnavailableError, when nothing was started.
 */
export async function pipeText(
  ctx: DataContext,
  clock: EngineClock,
  limits: QueryLimits,
  scratchDir: string,
  plan: LinePlan,
  settled: () => void,
): Promise<Readable> {
  const pipe = await openPipe(scratchDir).catch((e: unknown) => {
    throw new PipeUnavailableError(e);
  });
  const { reader } = pipe;
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  let keeper: number | null = pipe.keeper;
  const closeKeeper = () => {
    if (keeper === null) return;
    closeSync(keeper);
    keeper = null;
  };
  let started = false;
  let finished = false;
  let over = false;
  const finish = () => {
    if (over) return;
    over = true;
    settled();
  };
  let failed = false;
  let onStart!: () => void;
  let onFail!: (e: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    onStart = resolve;
    onFail = reject;
  });
  const begin = () => {
    if (started) return;
    started = true;
    if (plan.header) out.write(plan.header);
    onStart();
  };
  const fail = (e: unknown) => {
    if (failed || finished) return;
    failed = true;
    reader.destroy();
    closeKeeper();
    if (!started) return onFail(e);
    if (!(e instanceof ClientGone) && !clock.cancelled) ctx.logger.warn({ err: e }, 'a streaming query failed after its response had started');
    out.destroy(e instanceof Error ? e : new Error(String(e)));
  };

  // Backpressure: a full response pauses the pipe (DuckDB then waits in write, off the clock);
  // a client that reads nothing for the stall timeout is cut off.
  let stall: NodeJS.Timeout | undefined;
  reader.on('data', (bytes: Buffer) => {
    begin();
    if (out.write(bytes) || stall) return;
    reader.pause();
    clock.pause();
    stall = setTimeout(() => {
      clock.cancel();
      fail(new ClientGone());
    }, limits.stallTimeoutMs);
    out.once('drain', () => {
      clearTimeout(stall);
      stall = undefined;
      clock.resume();
      reader.resume();
    });
  });
  reader.once('end', () => {
    if (failed) return;
    begin();
    finished = true;
    // The COPY is over (the pipe ends only after it succeeded): free the slot before the client
    // has the last byte, so its next query finds it free.
    finish();
    out.end();
  });
  reader.once('error', fail);
  out.once('close', () => {
    clearTimeout(stall);
    // The client went away (or the response failed): stop the engine, not just the writes.
    if (!finished) {
      clock.cancel();
      fail(new ClientGone());
    }
  });

  const copy = `COPY (\n${plan.select}\n) TO ${sqlString(pipe.path)} ${RAW_LINES}`;
  withScratch(
    ctx,
    clock,
    scratchDir,
    async (conn) => {
      for (const macro of LINE_MACROS) await conn.run(macro);
      await execute(conn, clock, copy, StatementType.COPY, true);
    },
    // DuckDB's ordered COPY formats a whole batch (a row group, ~122,880 rows: 20 MB of
    // NDJSON) before writing it, and each thread has one in hand, more waiting their turn
    // while the client is slower than the engine: one thread keeps that to one batch
    // (measured: 1.3 GB of RSS growth at 2 threads on a 10M-row export, under 200 MB at 1).
    { threads: 1 },
  )
    // Every byte is in the pipe and DuckDB has closed it: the reader ends once it has read them.
    .then(closeKeeper, fail)
    .finally(async () => {
      // The reader is done (ended or destroyed) before the pipe goes, so no byte is lost.
      if (!reader.destroyed && !reader.readableEnded) await new Promise((resolve) => reader.once('close', resolve));
      finish();
      await rm(pipe.path, { force: true });
    })
    .catch((e: unknown) => ctx.logger.warn({ err: e }, 'could not remove a query pipe'));
  await ready;
  return out;
}
