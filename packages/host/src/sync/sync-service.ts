import { join } from 'node:path';
import { ExtractWriter, NotFoundError, type Connector, type FileRetention, type Orchestrator, type SyncResult } from '@aida/core';
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
}

/**
 * Runs one source's extraction as a transaction: the connector writes through an
 * `ExtractWriter`, which is committed when the connector returns and discarded when it
 * throws. Then the outcome goes to `sync_history` and the analytics database is rebuilt.
 */
export class SyncService {
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
    for (const t of result.report.tables) {
      if (t.error) t.error = this.redact(t.error);
      if (t.warnings) t.warnings = t.warnings.map((w) => this.redact(w));
    }
    await this.o.sync.recordExtraction(source, result.report.tables);
    const failed = result.report.tables.filter((t) => t.status === 'error').length;
    logger.info({ tables: result.report.tables.length, failed, duration_ms: Math.round(performance.now() - started) }, `source '${source}' extracted`);
    if (this.o.rebuildAfterSync) result.rebuild = await this.o.orchestrator.rebuildSource(source);
    return result;
  }
}
