/**
 * Parquet export through a scratch DuckDB instance. DuckDB writes Parquet only to a file and
 * the analytics instance may not write anywhere, so the export runs on a locked-down
 * in-memory instance into a spool file in the scratch folder, sent as DuckDB writes it
 * (spool.ts) and removed when its response ends.
 */
import type { Readable } from 'node:stream';
import { StatementType } from '@duckdb/node-api';
import { sqlString } from '@aida/core';
import { QueryNotEnclosableError } from '../../errors.js';
import type { Reader } from '../access.js';
import type { DataContext } from '../context.js';
import type { EngineClock } from './clock.js';
import { enclose } from './enclose.js';
import { checkQuery, execute, withAnalytics } from './engine.js';
import type { QueryLimits } from './limits.js';
import { withScratch } from './scratch.js';
import { sendSpool, type SpoolOptions } from './spool.js';

const PARQUET_MEMORY_LIMIT = '256MB';

/** Writes checked queries as Parquet into its scratch folder, and streams them. */
export class ParquetExporter {
  constructor(
    private readonly ctx: DataContext,
    private readonly limits: QueryLimits,
    /** Where exports are spooled while they are sent. */
    readonly scratchDir: string,
    /** Settles once the runner has emptied the scratch folder of a previous run's leftovers. */
    private readonly ready: Promise<void>,
  ) {}

  /**
   * Parquet. DuckDB writes Parquet only to a file, and the analytics instance may not write
   * anywhere, so the checked query runs inside COPY on a separate in-memory instance that
   * attaches the analytics file read-only and may touch only the extracts folder and the
   * scratch folder. The only SQL it runs is built here around the already checked SELECT.
   * `events.last` gets the row count once every byte is sent.
   */
  async export(clock: EngineClock, user: Reader, sql: string, limit: number | undefined, events: SpoolOptions<number>): Promise<Readable> {
    let inner: string;
    try {
      inner = await withAnalytics(this.ctx, clock, async (conn) => {
        const checked = await checkQuery(this.ctx, conn, clock, user, sql);
        const wrapped = await enclose(conn, clock, sql, checked.node, limit);
        if (!wrapped) {
          throw new QueryNotEnclosableError('This statement cannot be exported as Parquet as written: end it without a trailing comment after the semicolon and try again', {});
        }
        return wrapped;
      });
      await this.ready;
    } catch (e) {
      events.copied();
      events.removed();
      throw e;
    }
    const write = (path: string) =>
      withScratch(
        this.ctx,
        clock,
        this.scratchDir,
        async (conn) => {
          const result = await execute(conn, clock, `COPY (\n${inner}\n) TO ${sqlString(path)} (FORMAT parquet, USE_TMP_FILE false)`, StatementType.COPY, true);
          const chunk = await clock.run(() => result.fetchChunk());
          return Number(chunk && chunk.rowCount ? chunk.getColumnVector(0).getItem(0) : 0);
        },
        // The Parquet writer holds a row group per thread and more queued behind: unbounded, a
        // 10M-row export grew the process by ~360 MB. A memory limit keeps it to ~150 MB, and
        // was no slower (measured 1.6 s at 256 MB against 1.9 s without); a query that needs
        // more spills to the scratch folder.
        { memoryLimit: PARQUET_MEMORY_LIMIT },
      );
    return sendSpool(this.ctx, clock, this.limits, this.scratchDir, write, events);
  }
}
