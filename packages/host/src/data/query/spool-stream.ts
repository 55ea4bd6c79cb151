/**
 * NDJSON and CSV written by the engine: the checked, enclosed SELECT's lines (line-sql.ts) are
 * `COPY`ed by a scratch instance into a spool file in the scratch folder, and the file is sent
 * to the client as DuckDB writes it, read from behind the writer. No row passes through
 * JavaScript; the bytes are the ones the JavaScript encoder (stream.ts) writes for the same types.
 *
 * Why a file rather than a pipe the engine waits on: the engine then works at its own speed
 * and never waits for the client (into a 64 KB pipe, each DuckDB write waited for the server
 * to read it, and a 10M-row NDJSON export took twice as long as the same COPY to a file), and
 * a slow client no longer holds a query slot for as long as it reads: the slot is freed once
 * the COPY is done. The cost is disk: the spool holds the whole answer until its response
 * ends — bounded by what the engine writes within its time budget (`query.timeout`), and by
 * the runner's cap on spools at once.
 *
 * The guarantees of stream.ts hold: the response starts only once the first bytes are in hand
 * (a query that fails before is still a JSON error), a failure after that cuts the body off,
 * a client that reads nothing for the stall timeout — or goes away — is cut off and its query
 * stopped if it still runs. Memory is the engine's batch of lines (one thread, see below) and
 * one read of the file; the file is removed when the response ends, however it ends.
 */
import { randomUUID } from 'node:crypto';
import { open, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
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
import { drained } from './stream.js';

/** Bytes read from the spool at a time, as downloads read files. */
const READ_SIZE = 1 << 20;
/** How long the reader waits, once it has caught up with the engine, before it looks again (ms). */
const CAUGHT_UP_WAIT = 5;

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

/** When the parts of a spooled export are over: the COPY (the slot may go), and the whole response (the file is gone). */
export interface SpoolEvents {
  copied: () => void;
  removed: () => void;
}

/**
 * Streams `plan` through a spool file (see the file comment). Resolves once the first bytes
 * are in hand (or the result turned out empty), or rejects with the query's error;
 * `events.copied` and `events.removed` are each called once, however it ends.
 */
export async function spoolText(
  ctx: DataContext,
  clock: EngineClock,
  limits: QueryLimits,
  scratchDir: string,
  plan: LinePlan,
  events: SpoolEvents,
): Promise<Readable> {
  await mkdir(scratchDir, { recursive: true });
  const path = join(scratchDir, `${randomUUID()}.spool`);
  // Created and opened before DuckDB writes it (DuckDB truncates the same file, keeping its inode).
  const file = await open(path, 'w+', 0o600).catch(async (e: unknown) => {
    events.copied();
    events.removed();
    throw e;
  });
  const out = new PassThrough({ highWaterMark: READ_SIZE });

  // The COPY, at the engine's own speed (see the file comment).
  let copyDone = false;
  let copyError: unknown;
  const copy = `COPY (\n${plan.select}\n) TO ${sqlString(path)} ${RAW_LINES}`;
  const copying = withScratch(
    ctx,
    clock,
    scratchDir,
    async (conn) => {
      for (const macro of LINE_MACROS) await conn.run(macro);
      await execute(conn, clock, copy, StatementType.COPY, true);
    },
    // DuckDB's ordered COPY formats a whole batch (a row group, ~122,880 rows) per thread
    // before writing it, and holds finished ones until their turn. NDJSON lines are long (a
    // batch of the bench's rows is 20 MB): at two threads a 10M-row export grew RSS by 900 MB
    // unbounded and by 170 MB held to 128 MB, and spent more CPU than at one (+18 MB). CSV
    // lines are half as long: at two threads held to 128 MB it grew RSS by 25 MB and took
    // 4.1 s against 7.3 s at one. The memory limit also bounds a query's own work (a sort
    // spills to the scratch folder), as for Parquet.
    plan.format === 'csv' ? { threads: 2, memoryLimit: '128MB' } : { threads: 1, memoryLimit: '256MB' },
  ).then(
    () => void (copyDone = true),
    (e: unknown) => {
      copyDone = true;
      copyError = e;
    },
  );
  void copying.finally(events.copied);

  let onStart!: () => void;
  let onFail!: (e: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    onStart = resolve;
    onFail = reject;
  });
  let started = false;
  const begin = () => {
    started = true;
    if (plan.header) out.write(plan.header);
    onStart();
  };

  /** Sends the spool as it grows, until the COPY is over and every byte of it is sent. */
  const send = async () => {
    let position = 0;
    for (;;) {
      const done = copyDone; // read before the file: a COPY over now has written every byte
      const buffer = Buffer.allocUnsafe(READ_SIZE);
      const { bytesRead } = await file.read(buffer, 0, READ_SIZE, position);
      if (bytesRead > 0) {
        position += bytesRead;
        if (!started) begin();
        if (!out.write(buffer.subarray(0, bytesRead))) await drained(out, limits);
        continue;
      }
      if (done) break;
      await Promise.race([copying, sleep(CAUGHT_UP_WAIT)]);
      if (out.destroyed) throw new ClientGone();
    }
    if (copyError) throw copyError;
    if (!started) begin();
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
      events.removed();
    });
  await ready;
  return out;
}
