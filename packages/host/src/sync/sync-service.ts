import { join } from 'node:path';
import {
  ExtractWriter,
  NotFoundError,
  type Connector,
  type ExtractReport,
  type FileRetention,
  type Orchestrator,
  type SyncResult,
  type TableOutcome,
} from '@aida/core';
import type { Logger } from 'pino';
import type { SyncRepository } from '../state/repositories/sync.js';

export interface SyncServiceOptions {
  dataDir: string;
  connector: (source: string) => Connector | undefined;
  sync: SyncRepository;
  orchestrator: Orchestrator;
  logger: Logger;
  rebuildAfterSync: boolean;
  /** What the host still reads (analytics databases, downloads): its writers never delete those files. */
  retention: FileRetention;
  /** Masks the host's secrets in what is recorded: sync_history is served by the API. */
  redact?: (text: string) => string;
  /** How long after a push the analytics rebuild starts, so a burst of pushes shares one (ms). */
  pushRebuildDelayMs: number;
  /**
   * Successful pushes are summed into one sync_history row per table at most this often (ms): a
   * webhook-driven source pushes several times a second, which would otherwise be a million
   * history rows a day. Errors and warnings are recorded at once.
   */
  pushHistoryIntervalMs?: number;
}

/** What the pushes of one table did since their last history row. */
interface PushTally {
  rows?: number;
  durationMs: number;
}

/**
 * Runs one source's extraction as a transaction: the connector writes through an
 * `ExtractWriter`, which is committed when the connector returns and discarded when it
 * throws. Then the outcome goes to `sync_history` and the analytics database is rebuilt.
 */
export class SyncService {
  private rebuildTimer: NodeJS.Timeout | null = null;
  private rebuilding: Promise<unknown> | null = null;
  private stopped = false;
  private readonly tallies = new Map<string, Map<string, PushTally>>();
  private historyTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: SyncServiceOptions) {}

  private redact(text: string): string {
    return this.o.redact ? this.o.redact(text) : text;
  }

  async syncSource(source: string, tables?: readonly string[], signal: AbortSignal = new AbortController().signal): Promise<SyncResult> {
    const connector = this.o.connector(source);
    if (!connector) throw new NotFoundError(`No connector provides source '${source}'`);
    const logger = this.o.logger.child({ source });
    const started = performance.now();
    const writer = await ExtractWriter.open(join(this.o.dataDir, 'extracts', source), { logger, retention: this.o.retention });
    let result: SyncResult;
    try {
      const report = await connector.extract({ tables, writer, signal, logger });
      await writer.commit();
      result = { source, report };
    } catch (e) {
      await writer.abort();
      const error = this.redact((e as Error).message);
      logger.error({ err: e }, `extraction of source '${source}' failed; the previous extract is kept`);
      const names = tables ?? writer.previousTables.map((t) => t.table_name);
      await this.o.sync.recordExtraction(
        source,
        (names.length ? names : [`${source}.*`]).map((name) => ({ name, status: 'error' as const, error })),
      );
      return { source, report: { tables: [] }, error };
    }
    this.redactReport(result.report);
    await this.o.sync.recordExtraction(source, result.report.tables);
    const failed = result.report.tables.filter((t) => t.status === 'error').length;
    logger.info({ tables: result.report.tables.length, failed, duration_ms: Math.round(performance.now() - started) }, `source '${source}' extracted`);
    if (this.o.rebuildAfterSync) result.rebuild = await this.o.orchestrator.rebuildSource(source);
    return result;
  }

  /**
   * A push connector's write between extractions (`SourceWrites.push`): committed when `write`
   * resolves, discarded when it throws (the error reaches the caller, nothing is recorded). The
   * analytics rebuild follows `pushRebuildDelayMs` after the first push of a burst.
   */
  async push(source: string, write: (writer: ExtractWriter) => Promise<ExtractReport>): Promise<ExtractReport> {
    if (this.stopped) throw new Error(`the host is stopping; the write to source '${source}' was not made`);
    const writer = await ExtractWriter.open(join(this.o.dataDir, 'extracts', source), { logger: this.o.logger.child({ source }), retention: this.o.retention });
    let report: ExtractReport;
    try {
      report = await write(writer);
      await writer.commit();
    } catch (e) {
      await writer.abort();
      throw e;
    }
    this.redactReport(report);
    const plain = report.tables.filter((t) => t.status === 'ok' && !t.warnings?.length);
    await this.o.sync.recordExtraction(
      source,
      report.tables.filter((t) => !plain.includes(t)),
    );
    this.tally(source, plain);
    if (this.o.rebuildAfterSync && report.tables.some((t) => t.status === 'ok')) this.rebuildSoon();
    return report;
  }

  private tally(source: string, outcomes: readonly TableOutcome[]): void {
    if (!outcomes.length) return;
    const bySource = this.tallies.get(source) ?? new Map<string, PushTally>();
    this.tallies.set(source, bySource);
    for (const o of outcomes) {
      const t = bySource.get(o.name) ?? { durationMs: 0 };
      bySource.set(o.name, { rows: o.rows ?? t.rows, durationMs: t.durationMs + (o.durationMs ?? 0) });
    }
    this.historyTimer ??= setTimeout(() => void this.flushHistory(), this.o.pushHistoryIntervalMs ?? 60_000);
  }

  /** Writes the summed pushes: one history row per table (its time the sum of theirs). */
  private async flushHistory(): Promise<void> {
    if (this.historyTimer) clearTimeout(this.historyTimer);
    this.historyTimer = null;
    const tallies = [...this.tallies];
    this.tallies.clear();
    for (const [source, tables] of tallies) {
      const outcomes: TableOutcome[] = [...tables].map(([name, t]) => ({
        name,
        status: 'ok',
        rows: t.rows,
        durationMs: t.durationMs,
      }));
      await this.o.sync
        .recordExtraction(source, outcomes)
        .catch((e: unknown) => this.o.logger.warn({ err: e, source }, 'recording pushes in sync history failed'));
    }
  }

  /** Stops scheduling rebuilds and waits for the one running. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.rebuildTimer) clearTimeout(this.rebuildTimer);
    this.rebuildTimer = null;
    await this.rebuilding;
    await this.flushHistory();
  }

  private rebuildSoon(): void {
    if (this.rebuildTimer || this.stopped) return;
    this.rebuildTimer = setTimeout(() => {
      this.rebuildTimer = null;
      // The orchestrator coalesces: pushes committed while this runs get one more rebuild.
      const run = this.o.orchestrator.rebuild().catch((e: unknown) => this.o.logger.error({ err: e }, 'rebuild after a push failed; the next one retries'));
      this.rebuilding = run.finally(() => {
        if (this.rebuilding === run) this.rebuilding = null;
      });
    }, this.o.pushRebuildDelayMs);
  }

  private redactReport(report: ExtractReport): void {
    for (const t of report.tables) {
      if (t.error) t.error = this.redact(t.error);
      if (t.warnings) t.warnings = t.warnings.map((w) => this.redact(w));
    }
  }
}
