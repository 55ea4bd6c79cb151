import { isAidaError, type RemoteEstimate, type RemoteResult } from '@aida/core';
import { ClientGoneError, QueryTimeoutError, RemoteScanTooLargeError, RemoteSourceFailedError, RemoteTableUnregisteredError } from '../../errors.js';
import type { Reader } from '../access.js';
import type { DataContext } from '../context.js';
import { assertSqlSize } from '../query/statement.js';
import type { RemoteQuotas } from './quotas.js';
import { planQuery, type PlannedQuery } from './sources.js';

export interface RemoteRunRequest {
  /** The source's own SQL (GoogleSQL for BigQuery). */
  sql: string;
  limit: number;
  /** The source to run it at; needed only when several could. */
  source?: string;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  /** Told the bytes the source billed, as soon as it has (for the call's audit row). */
  onBilled?: (bytes: number) => void;
}

export interface RemoteAnswer extends RemoteResult {
  source: string;
  estimate: RemoteEstimate;
}

/**
 * Every query at a source goes through here (`POST /api/query/remote` and each part of a
 * hybrid query), in this order: the source estimates it; every AIDA table it reads must be
 * readable by the caller (403, as on /api/query) and it may read no source table AIDA does not
 * register (403); over the source's `maxScanBytes` it is refused (400) and never runs; the
 * caller's bytes today plus the estimate must fit their daily cap and they must have a free
 * slot (429 each); then it runs, unable to bill more than `maxScanBytes`, and what it billed
 * counts against the caller's day.
 */
export class RemoteQueries {
  constructor(
    private readonly ctx: DataContext,
    private readonly quotas: RemoteQuotas,
    /** Wall time of one query, estimate and run (ms). */
    private readonly timeoutMs: number,
  ) {}

  async run(user: Reader, r: RemoteRunRequest): Promise<RemoteAnswer> {
    assertSqlSize(r.sql);
    const started = performance.now();
    // A plain timer, not AbortSignal.timeout inside AbortSignal.any (which Node 20 may collect).
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.timeoutMs);
    const signal = AbortSignal.any([r.signal, deadline.signal]);
    let source = r.source;
    try {
      const plan = await planQuery(this.ctx, r.sql, { source: r.source, signal, userId: user.id });
      source = plan.source;
      this.authorize(user, plan);
      const { limits } = plan.engine;
      const { bytes } = plan.estimate;
      if (bytes > limits.maxScanBytes) {
        throw new RemoteScanTooLargeError(
          `The query would scan ${bytes} bytes at '${plan.source}', more than one query may (${limits.maxScanBytes}); select fewer columns or filter on the partitioning column`,
          { detail: { reason: 'remote_scan_too_large', bytes, limit: limits.maxScanBytes } },
        );
      }
      const admission = await this.quotas.admit(user.id, plan.source, limits, bytes);
      try {
        const result = await plan.engine.run(r.sql, { limit: r.limit, signal, userId: user.id, maxBytes: limits.maxScanBytes });
        r.onBilled?.(result.bytesScanned);
        await admission.record(result.bytesScanned).catch((e: unknown) => {
          // Counted in memory already; only a restart today would forget it.
          this.ctx.logger.warn({ err: e, source: plan.source }, 'recording the bytes a query at a source scanned failed');
        });
        this.ctx.logger.info(
          {
            user_id: user.id,
            source: plan.source,
            tables: plan.estimate.tables,
            estimate_bytes: bytes,
            bytes_scanned: result.bytesScanned,
            duration_ms: Math.round(performance.now() - started),
          },
          'query at source',
        );
        return { ...result, source: plan.source, estimate: plan.estimate };
      } finally {
        admission.release();
      }
    } catch (e) {
      throw this.answerFor(e, source, r.signal.aborted, deadline.signal.aborted);
    } finally {
      clearTimeout(timer);
    }
  }

  private authorize(user: Reader, plan: PlannedQuery): void {
    for (const table of plan.estimate.tables) this.ctx.access.assertCanRead(user, table);
    const { unregistered } = plan.estimate;
    if (unregistered.length) {
      throw new RemoteTableUnregisteredError(
        `The query reads ${unregistered.map((t) => `'${t}'`).join(', ')} at '${plan.source}', which no AIDA table stands for: only tables registered in AIDA can be queried (GET /api/catalog/tables lists yours)`,
        { detail: { tables: unregistered, source: plan.source } },
      );
    }
  }

  /** What the caller is told: our own answers as they are, a stop as a timeout or a gone client, anything else as the source's failure. */
  private answerFor(e: unknown, source: string | undefined, clientGone: boolean, timedOut: boolean): unknown {
    if (clientGone) return new ClientGoneError();
    if (timedOut) return new QueryTimeoutError(this.timeoutMs);
    if (isAidaError(e)) return e;
    const message = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    this.ctx.logger.warn({ err: e, source }, 'a query at a source failed');
    return new RemoteSourceFailedError(`The source${source ? ` '${source}'` : ''} failed to run the query: ${message}`, {
      cause: e,
      detail: { source: source ?? null },
    });
  }
}
