/**
 * NDJSON and CSV written by the engine: the checked, enclosed SELECT's lines (line-sql.ts) are
 * `COPY`ed by a scratch instance into a spool file sent as it grows (spool.ts). No row passes
 * through JavaScript; the bytes are the ones the JavaScript encoder (stream.ts) writes for the
 * same types.
 */
import type { Readable } from 'node:stream';
import { StatementType } from '@duckdb/node-api';
import { sqlString } from '@aida/core';
import type { Reader } from '../access.js';
import type { DataContext } from '../context.js';
import type { EngineClock } from './clock.js';
import { enclose } from './enclose.js';
import { checkQuery, describeColumns, execute, withAnalytics } from './engine.js';
import type { TextFormat } from './formats.js';
import { LINE_MACROS, RAW_LINES, linePlan, type LinePlan } from './line-sql.js';
import type { QueryLimits } from './limits.js';
import { withScratch } from './scratch.js';
import { sendSpool, type SpoolOptions } from './spool.js';

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

/** Streams `plan`'s lines, written by the engine into a spool (see sendSpool for when it resolves and what `events` say). */
export function exportLines(
  ctx: DataContext,
  clock: EngineClock,
  limits: QueryLimits,
  scratchDir: string,
  plan: LinePlan,
  events: Pick<SpoolOptions<void>, 'copied' | 'removed'>,
): Promise<Readable> {
  const write = (path: string) =>
    withScratch(
      ctx,
      clock,
      scratchDir,
      async (conn) => {
        for (const macro of LINE_MACROS) await conn.run(macro);
        await execute(conn, clock, `COPY (\n${plan.select}\n) TO ${sqlString(path)} ${RAW_LINES}`, StatementType.COPY, true);
      },
      // DuckDB's ordered COPY formats a whole batch (a row group, ~122,880 rows) per thread
      // before writing it, and holds finished ones until their turn. NDJSON lines are long (a
      // batch of the bench's rows is 20 MB): at two threads a 10M-row export grew RSS by 900 MB
      // unbounded and by 170 MB held to 128 MB, and spent more CPU than at one (+18 MB). CSV
      // lines are half as long: at two threads held to 128 MB it grew RSS by 25 MB and took
      // 4.1 s against 7.3 s at one. The memory limit also bounds a query's own work (a sort
      // spills to the scratch folder), as for Parquet.
      plan.format === 'csv' ? { threads: 2, memoryLimit: '128MB' } : { threads: 1, memoryLimit: '256MB' },
    );
  return sendSpool(ctx, clock, limits, scratchDir, write, { header: plan.header, ...events });
}
