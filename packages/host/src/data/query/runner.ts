/**
 * The query runner: what every query gets whatever its format — a slot from the limiter, an
 * engine-time budget that also follows the client going away — before handing it to the
 * JSON, streaming or Parquet writer. Also the module routes and tests import the query API from.
 */
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Reader } from '../access.js';
import type { DataContext } from '../context.js';
import { EngineClock } from './clock.js';
import type { TextFormat } from './formats.js';
import { jsonAnswer } from './json.js';
import type { QueryLimits } from './limits.js';
import { ConcurrencyLimiter } from './limiter.js';
import { exportLines, planLines } from './line-export.js';
import { ParquetExporter } from './parquet.js';
import { streamText } from './stream.js';

/**
 * Spooled exports at once, however slow their clients: each spool holds its whole answer on
 * disk until its response ends, so more exports than this at once are encoded in JavaScript
 * (with backpressure, holding their slot, nothing on disk).
 */
const MAX_SPOOLS = 2;

export { QueryTimeoutError } from './clock.js';
export { trimTail } from './enclose.js';
export { DEFAULT_QUERY_LIMITS, type QueryLimits } from './limits.js';

/**
 * Runs checked queries: a slot from the limiter, a read-only connection of the current
 * analytics generation, an engine-time budget, and the result written in one of the formats.
 */
export class QueryRunner {
  readonly limiter: ConcurrencyLimiter;
  private readonly exporter: ParquetExporter;
  /** Settles once the scratch folder has been emptied of a previous run's leftovers. */
  private readonly scratchReady: Promise<void>;
  /** Spool files of exports now (see MAX_SPOOLS). */
  private spools = 0;

  constructor(
    private readonly ctx: DataContext,
    readonly limits: QueryLimits,
    /** Where the exports spool their answers while they are sent (emptied at start). */
    readonly scratchDir: string,
  ) {
    this.limiter = new ConcurrencyLimiter(limits.maxConcurrent, limits.maxQueued, limits.queueWaitMs);
    // Leftovers of a crash: nothing in this folder outlives the request that wrote it.
    this.scratchReady = rm(scratchDir, { recursive: true, force: true }).then(
      () => undefined,
      (e: Error) => ctx.logger.warn({ err: e }, 'could not empty the query scratch folder'),
    );
    this.exporter = new ParquetExporter(ctx, limits, scratchDir, this.scratchReady);
  }

  /** JSON: at most `limit` rows, held in memory; `truncated` when more exist (see jsonAnswer). */
  async json(user: Reader, sql: string, limit: number, signal?: AbortSignal): Promise<string> {
    const release = await this.limiter.acquire();
    const clock = new EngineClock(this.limits.timeoutMs);
    const unfollow = clock.follow(signal);
    try {
      return await jsonAnswer(this.ctx, clock, this.limits, user, sql, limit);
    } finally {
      unfollow();
      release();
    }
  }

  /**
   * NDJSON / CSV. Written by the engine into a spool file sent as it grows when it can write
   * the query's columns (see exportLines): the slot is freed once the engine is done. Else
   * encoded chunk by chunk in JavaScript with backpressure (see streamText), the slot held
   * until the stream has finished or failed. The bytes are the same. Resolves once the first
   * bytes are in hand.
   */
  async stream(user: Reader, sql: string, format: Exclude<TextFormat, 'json'>, limit: number | undefined, signal?: AbortSignal): Promise<Readable> {
    const release = await this.limiter.acquire();
    const clock = new EngineClock(this.limits.timeoutMs);
    const unfollow = clock.follow(signal);
    let done = false;
    const settled = () => {
      if (done) return;
      done = true;
      unfollow();
      release();
    };
    try {
      if (this.spools < MAX_SPOOLS) {
        const plan = await planLines(this.ctx, clock, user, sql, format, limit);
        if (plan && this.spools < MAX_SPOOLS) {
          this.spools++;
          // The scratch instance reads the analytics file by itself: hold its generation.
          const unhold = this.ctx.analytics.hold();
          await this.scratchReady;
          return await exportLines(this.ctx, clock, this.limits, this.scratchDir, plan, {
            copied: () => {
              unhold();
              settled();
            },
            removed: () => void this.spools--,
          });
        }
      }
      return await streamText(this.ctx, clock, this.limits, user, sql, format, limit, settled);
    } catch (e) {
      settled();
      throw e;
    }
  }

  /**
   * Parquet, written by a scratch DuckDB instance into a spool sent as it grows (see
   * ParquetExporter); `rows` gets the row count just before the body ends. The slot is freed
   * once the engine is done.
   */
  async parquet(user: Reader, sql: string, limit: number | undefined, rows: (count: number) => void, signal?: AbortSignal): Promise<Readable> {
    const release = await this.limiter.acquire();
    const clock = new EngineClock(this.limits.timeoutMs);
    const unfollow = clock.follow(signal);
    // The export reads the analytics file again from a scratch instance, outside any
    // connection: hold the generation meanwhile so the files its views read stay.
    const unhold = this.ctx.analytics.isOpen ? this.ctx.analytics.hold() : undefined;
    return this.exporter.export(clock, user, sql, limit, {
      last: rows,
      copied: () => {
        unhold?.();
        unfollow();
        release();
      },
      removed: () => undefined,
    });
  }
}
