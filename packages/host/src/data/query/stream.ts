/**
 * NDJSON and CSV answers, streamed chunk by chunk with backpressure: how the response starts
 * (only once the first chunk is in hand), how a slow or vanished client is cut off, and how a
 * failure after the start ends the body instead of silently shortening it.
 */
import { PassThrough, type Readable } from 'node:stream';
import { StatementType } from '@duckdb/node-api';
import type { Reader } from '../access.js';
import type { DataContext } from '../context.js';
import { ClientGone, type EngineClock } from './clock.js';
import { enclose } from './enclose.js';
import { checkQuery, completionCheck, execute, withAnalytics } from './engine.js';
import { ChunkEncoder, type TextFormat } from './formats.js';
import type { QueryLimits } from './limits.js';

/**
 * NDJSON / CSV, streamed chunk by chunk with backpressure. Resolves once the first chunk is
 * in hand, so a query that fails to start is still a JSON error; a failure after that cuts
 * the response off (the client sees an incomplete body, never a silently short one).
 * `settled` is called once the query is over, however it ended.
 */
export async function streamText(
  ctx: DataContext,
  clock: EngineClock,
  limits: QueryLimits,
  user: Reader,
  sql: string,
  format: TextFormat,
  limit: number | undefined,
  settled: () => void,
): Promise<Readable> {
  // A little room between the engine and the socket: one encoded chunk is a few hundred KB.
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  let started = false;
  let finished = false;
  let onStart!: () => void;
  let onFail!: (e: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    onStart = resolve;
    onFail = reject;
  });
  out.once('close', () => {
    // The client went away (or the response failed): stop the engine, not just the writes.
    if (!finished) clock.cancel();
  });
  const write = (text: string) => send(out, text, limits);
  const run = withAnalytics(ctx, clock, async (conn) => {
    const checked = await checkQuery(ctx, conn, clock, user, sql);
    // With a limit, let the engine stop early (and ORDER BY … become a top-N).
    const wrapped = limit === undefined ? null : await enclose(conn, clock, sql, checked.node, limit);
    const result = await execute(conn, clock, wrapped ?? sql, StatementType.SELECT);
    const encoder = new ChunkEncoder(format, result);
    const completed = completionCheck(result);
    let chunk = await clock.run(() => result.fetchChunk());
    if (!chunk || chunk.rowCount === 0) completed();
    started = true;
    onStart();
    const header = encoder.header();
    if (header) await write(header);
    let rows = 0;
    while (chunk && chunk.rowCount > 0) {
      const take = limit === undefined ? chunk.rowCount : Math.min(chunk.rowCount, limit - rows);
      if (take > 0) await write(encoder.encode(chunk, take));
      rows += take;
      if (limit !== undefined && rows >= limit) break;
      if (clock.cancelled) throw new ClientGone();
      chunk = await clock.run(() => result.fetchChunk());
      if (!chunk || chunk.rowCount === 0) completed();
    }
    finished = true;
    out.end();
  });
  run
    .catch((e: unknown) => {
      if (!started) return onFail(e);
      if (!(e instanceof ClientGone) && !clock.cancelled) {
        ctx.logger.warn({ err: e }, 'a streaming query failed after its response had started');
      }
      out.destroy(e instanceof Error ? e : new Error(String(e)));
    })
    .finally(settled);
  await ready;
  return out;
}

/** Writes to the response, waiting for it to drain when its buffer is full (see drained). */
async function send(out: PassThrough, text: string, limits: QueryLimits): Promise<void> {
  if (out.destroyed) throw new ClientGone();
  if (!out.write(text)) await drained(out, limits);
}

/**
 * Waits for a full response to drain; a client that reads nothing for the stall timeout, or
 * goes away, ends the query as ClientGone.
 */
export function drained(out: PassThrough, limits: QueryLimits): Promise<void> {
  if (out.destroyed) return Promise.reject(new ClientGone());
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => done(new ClientGone()), limits.stallTimeoutMs);
    const onDrain = () => done();
    const onClose = () => done(new ClientGone());
    function done(err?: Error) {
      clearTimeout(timer);
      out.off('drain', onDrain);
      out.off('close', onClose);
      if (err) reject(err);
      else resolve();
    }
    out.once('drain', onDrain);
    out.once('close', onClose);
  });
}
