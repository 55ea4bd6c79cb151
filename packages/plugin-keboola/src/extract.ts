// Syncing one Keboola table: checks the plan, asks the previous extract whether an incremental
// export can be merged, exports and downloads the table, then writes it with its strategy under
// the DuckDB lock — turning any failure into an error outcome that keeps the previous data.
// The SQL lives in csv-source.ts (reading); write-strategy.ts picks the write mode of each strategy.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExtractWriter, SerialQueue, TableOutcome } from '@aida/core';
import type { KeboolaClient } from './client.js';
import { csvSource, explainCastError } from './csv-source.js';
import type { Logger } from './retry.js';
import type { TablePlan } from './select.js';
import { planColumns } from './types.js';
import { previousState, writeStrategy } from './write-strategy.js';

export { readCsvHeader } from './csv-source.js';

export interface ExtractContext {
  client: KeboolaClient;
  writer: ExtractWriter;
  signal: AbortSignal;
  logger: Logger;
  /** Serialises work on `writer.connection`: exports and downloads run in parallel, DuckDB work one table at a time. */
  db: SerialQueue;
  /** Clock, injectable for tests. */
  now?: () => Date;
}

/**
 * Syncs one Keboola table into the extract with its strategy. A failure is returned as an
 * error outcome (the table's previous data stays); only an abort of the whole extraction throws.
 */
export async function extractTable(plan: TablePlan, ctx: ExtractContext): Promise<TableOutcome> {
  const started = performance.now();
  const log = ctx.logger.child({ table: plan.name, keboola_table: plan.table.id });
  let workDir: string | undefined;
  let released: Promise<void> | undefined;
  try {
    const { columns, warnings } = planColumns(plan.table, { columns: plan.columns, columnTypes: plan.columnTypes });
    for (const w of warnings) log.warn(`${plan.table.id}: ${w}`);
    if (plan.strategy === 'incremental' && !plan.primaryKey.length) {
      throw new Error(`incremental sync needs a primary key: Keboola table ${plan.table.id} has none, set primary_key in the config`);
    }
    for (const k of plan.primaryKey) {
      if (!columns.some((c) => c.name === k)) throw new Error(`primary key column ${k} is not among the exported columns`);
    }
    if (plan.partition && !columns.some((c) => c.name === plan.partition!.column)) {
      throw new Error(`partition column ${plan.partition.column} is not among the exported columns`);
    }

    const previous = await ctx.db.run(() => previousState(plan, columns, ctx.writer));
    const changedSince =
      previous.compatible && previous.extractedAt && plan.strategy !== 'full_refresh' && plan.primaryKey.length
        ? new Date(previous.extractedAt.getTime() - plan.overlapMs)
        : undefined;
    if (previous.files.length && !previous.compatible && plan.strategy !== 'full_refresh') {
      log.info(`${plan.table.id}: columns or types changed since the last sync; exporting the whole table`);
    }

    const t0 = performance.now();
    const file = await ctx.client.exportTable(plan.table.id, { changedSince, columns: plan.columns, where: plan.where }, { signal: ctx.signal, logger: log });
    const t1 = performance.now();
    const dir = join(ctx.writer.sourceDir, `.staging-keboola-${randomBytes(6).toString('hex')}`);
    workDir = dir;
    await mkdir(dir, { recursive: true });
    const downloaded = await ctx.client.download(file, dir, { signal: ctx.signal, logger: log });
    const t2 = performance.now();
    log.debug(
      {
        file_id: file.id,
        sliced: downloaded.sliced,
        files: downloaded.paths.length,
        bytes: downloaded.bytes,
        export_ms: Math.round(t1 - t0),
        download_ms: Math.round(t2 - t1),
      },
      'export downloaded',
    );
    const source = await csvSource(downloaded, plan, columns);

    let copiedAt: number | undefined;
    const written = await ctx.db.run(async () => {
      // Timestamps with an offset are normalised to UTC; naive ones are taken as UTC.
      await ctx.writer.connection.run(`SET TimeZone = 'UTC'`);
      try {
        // Once copied, the downloaded CSV (many times the Parquet's size) is deleted while the
        // writer hashes and places its file, instead of after it.
        const release = () => {
          copiedAt = performance.now();
          released = rm(dir, { recursive: true, force: true }).catch(() => undefined);
        };
        return await writeStrategy(plan, columns, source, changedSince !== undefined, ctx.writer, release);
      } catch (e) {
        throw await explainCastError(e as Error, plan, columns, source, ctx.writer);
      }
    });
    log.info(
      {
        rows: written.rows,
        changed_since: changedSince?.toISOString(),
        parts: written.parts,
        export_ms: Math.round(t1 - t0),
        download_ms: Math.round(t2 - t1),
        write_ms: Math.round(performance.now() - t2),
        // Of write_ms: until DuckDB has copied the CSV into the new file (the rest hashes and places it).
        ...(copiedAt === undefined ? {} : { copy_ms: Math.round(copiedAt - t2) }),
      },
      `${plan.table.id} synced (${written.note})`,
    );
    return {
      name: plan.name,
      status: 'ok',
      rows: written.rows,
      durationMs: performance.now() - started,
      ...(warnings.length ? { warnings } : {}),
    };
  } catch (e) {
    if (ctx.signal.aborted) throw ctx.signal.reason ?? e;
    const message = ctx.client.redact(firstLines((e as Error).message));
    log.warn(`${plan.table.id}: ${message}; the previous data is kept`);
    return { name: plan.name, status: 'error', error: `Keboola table ${plan.table.id}: ${message}`, durationMs: performance.now() - started };
  } finally {
    await released;
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }
}

function firstLines(message: string): string {
  // DuckDB appends the SQL text (with local paths) after a blank line; keep the statement of the problem.
  return message
    .split(/\n\s*\n|\nLINE \d+:/)[0]
    .trim()
    .slice(0, 1000);
}
