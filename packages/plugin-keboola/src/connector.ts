import { mapLimit, SerialQueue, type Connector, type DiscoveredTable, type ExtractReport, type ExtractRequest, type TableOutcome } from '@aida/core';
import type { KeboolaClient } from './client.js';
import type { KeboolaConfig } from './config.js';
import { extractTable } from './extract.js';
import { KeboolaError } from './retry.js';
import { selectTables, type Selection } from './select.js';
import { planColumns } from './types.js';

/** A Keboola project (one Storage API token) as an AIDA source. */
export class KeboolaConnector implements Connector {
  readonly sourceType = 'keboola';
  readonly source: string;

  constructor(
    private readonly config: KeboolaConfig,
    private readonly client: KeboolaClient,
  ) {
    this.source = config.source;
  }

  /** The tables this source syncs, with their columns and DuckDB types. */
  async discover(signal: AbortSignal = new AbortController().signal): Promise<DiscoveredTable[]> {
    const { plans } = await this.select(signal);
    return plans.map((p) => {
      let columns: DiscoveredTable['columns'];
      try {
        columns = planColumns(p.table, { columns: p.columns, columnTypes: p.columnTypes }).columns.map((c) => ({ name: c.name, type: c.type }));
      } catch {
        columns = undefined;
      }
      return {
        name: p.name,
        description: p.description ?? undefined,
        bucket: p.table.bucket?.id ?? p.table.id.slice(0, p.table.id.lastIndexOf('.')),
        sourceTable: p.table.id,
        columns,
        rows: p.table.rowsCount ?? undefined,
        primaryKey: p.primaryKey.length ? p.primaryKey : undefined,
        lastChangedAt: p.table.lastChangeDate ?? undefined,
      };
    });
  }

  /**
   * Syncs the configured tables (or the listed ones). An unreachable API or a rejected token
   * throws, so the previous extract stays; a table that fails is reported and the others go on.
   */
  async extract({ tables, writer, signal, logger }: ExtractRequest): Promise<ExtractReport> {
    const selection = await this.select(signal, logger);
    const wanted = tables ? new Set(tables.map((t) => t.toLowerCase())) : null;
    const plans = selection.plans.filter((p) => !wanted || wanted.has(p.name.toLowerCase()));
    const problems = selection.problems.filter((p) => !wanted || wanted.has(p.name.toLowerCase()));
    for (const p of problems) logger.warn(p.error ?? `${p.name}: ${p.status}`);

    const db = new SerialQueue();
    const outcomes: TableOutcome[] = new Array(plans.length);
    await mapLimit(plans, this.config.max_parallel_tables, async (plan, i) => {
      signal.throwIfAborted();
      outcomes[i] = await extractTable(plan, { client: this.client, writer, signal, logger, db });
    });

    // Tables the config no longer selects leave the extract (only on a sync of everything).
    if (!wanted) {
      for (const t of writer.previousTables) if (!selection.claimed.has(t.table_name.toLowerCase())) writer.dropTable(t.table_name);
    }
    return { tables: [...outcomes, ...problems] };
  }

  private async select(signal: AbortSignal, logger?: ExtractRequest['logger']): Promise<Selection> {
    try {
      return selectTables(this.config, await this.client.listTables({ signal, logger }));
    } catch (e) {
      if (signal.aborted) throw e;
      const message = e instanceof KeboolaError ? e.message : this.client.redact((e as Error).message);
      throw e instanceof KeboolaError
        ? e.retold(`cannot list the tables of Keboola project at ${this.config.url}: ${message}`)
        : new KeboolaError(`cannot list the tables of Keboola project at ${this.config.url}: ${message}`);
    }
  }
}
