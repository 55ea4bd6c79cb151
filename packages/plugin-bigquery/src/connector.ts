// A BigQuery project (one set of credentials) as an AIDA source: discovery lists the configured
// tables and datasets with their schemas, sizes and partitioning; extraction materializes the
// materialized tables into Parquet one after another and declares the remote ones, which stay in
// BigQuery and are queried through `remote`. Listing failing (credentials, BigQuery down) throws,
// so the previous extract stays byte for byte; one table failing is that table's outcome.
import { existsSync } from 'node:fs';
import type { Connector, DiscoveredTable, ExtractReport, ExtractRequest, RemoteQueryEngine, ServiceHealth, TableOutcome } from '@aida/core';
import type { BigQueryApi } from './client.js';
import type { BigQueryConfig, TableMode } from './config.js';
import { BigQueryError } from './errors.js';
import { materializeTable } from './materialize.js';
import { BigQueryRemote } from './remote.js';
import { selectTables, TableNames, type Selection, type TablePlan } from './select.js';
import { duckdbType } from './types.js';

/** What discovery adds to core's DiscoveredTable (the discover-tables route passes it through). */
export interface BigQueryDiscoveredTable extends DiscoveredTable {
  mode: TableMode;
  /** TABLE, VIEW, MATERIALIZED_VIEW, EXTERNAL, SNAPSHOT. */
  tableType: string;
  sizeBytes?: number;
  partitioning?: { type: string; field?: string };
  clustering?: string[];
  columns: { name: string; type: string; bigqueryType: string }[];
}

export class BigQueryConnector implements Connector {
  readonly sourceType = 'bigquery';
  readonly source: string;
  readonly remote?: RemoteQueryEngine;

  constructor(
    private readonly config: BigQueryConfig,
    private readonly api: BigQueryApi,
  ) {
    this.source = config.source;
    const hasRemote = config.tables.some((t) => t.mode === 'remote') || config.datasets.some((d) => d.mode === 'remote');
    if (hasRemote) {
      const { max_scan_bytes, user_daily_bytes, user_concurrent } = config.limits;
      this.remote = new BigQueryRemote(
        api,
        new TableNames(config),
        { maxScanBytes: max_scan_bytes, userDailyBytes: user_daily_bytes, userConcurrent: user_concurrent },
        { source: config.source },
      );
    }
  }

  async discover(signal: AbortSignal = new AbortController().signal): Promise<BigQueryDiscoveredTable[]> {
    const { plans } = await this.select(signal);
    return plans.map(describe);
  }

  async extract({ tables, writer, signal, logger }: ExtractRequest): Promise<ExtractReport> {
    const selection = await this.select(signal, logger);
    const wanted = tables ? new Set(tables.map((t) => t.toLowerCase())) : null;
    const plans = selection.plans.filter((p) => !wanted || wanted.has(p.name.toLowerCase()));
    const problems = selection.problems.filter((p) => !wanted || wanted.has(p.name.toLowerCase()));
    for (const p of problems) logger.warn(p.error ?? `${p.name}: ${p.status}`);

    // Partitions of TIMESTAMP columns are UTC days and months, as BigQuery's are.
    await writer.connection.run(`SET TimeZone = 'UTC'`);
    const outcomes: TableOutcome[] = [];
    for (const plan of plans) {
      signal.throwIfAborted();
      if (plan.mode === 'remote') {
        writer.declareRemote(plan.name, {
          description: plan.description ?? plan.table.description ?? null,
          rows: plan.table.numRows,
          sizeBytes: plan.table.numBytes,
        });
        outcomes.push({ name: plan.name, status: 'ok', rows: plan.table.numRows });
        continue;
      }
      outcomes.push(
        await materializeTable(plan, {
          api: this.api,
          writer,
          source: this.source,
          signal,
          logger,
          maxMaterializeBytes: this.config.limits.max_materialize_bytes,
          pageSize: this.config.page_size,
          pagesInFlight: this.config.pages_in_flight,
        }),
      );
    }
    // Tables the config no longer selects leave the extract (only on a sync of everything).
    if (!wanted) for (const t of writer.previousTables) if (!selection.claimed.has(t.table_name)) writer.dropTable(t.table_name);
    return { tables: [...outcomes, ...problems] };
  }

  /** Credentials present (a key, a token, or ADC that can be found); no network round trip. */
  health(): ServiceHealth {
    const where = `project ${this.config.project}${this.config.billing_project ? `, billed to ${this.config.billing_project}` : ''}`;
    if (this.config.credentials.kind === 'adc') {
      const file = process.env.GOOGLE_APPLICATION_CREDENTIALS;
      if (file && !existsSync(file)) {
        return { status: 'unhealthy', detail: `GOOGLE_APPLICATION_CREDENTIALS names ${file}, which does not exist` };
      }
    }
    return { status: 'healthy', detail: `${where}; signs in with ${this.api.describeAuth()}` };
  }

  private async select(signal: AbortSignal, logger?: ExtractRequest['logger']): Promise<Selection> {
    try {
      return await selectTables(this.config, this.api, { signal, logger });
    } catch (e) {
      if (signal.aborted) throw e;
      const prefix = `cannot list the BigQuery tables of project ${this.config.project}`;
      throw e instanceof BigQueryError
        ? e.retold(`${prefix}: ${e.message}`)
        : new BigQueryError(`${prefix}: ${this.api.redact((e as Error).message)}`, { cause: e });
    }
  }
}

function describe(p: TablePlan): BigQueryDiscoveredTable {
  const t = p.table;
  const partitioning = t.timePartitioning
    ? { type: t.timePartitioning.type, ...(t.timePartitioning.field ? { field: t.timePartitioning.field } : {}) }
    : t.rangePartitioning
      ? { type: 'RANGE', field: t.rangePartitioning.field }
      : undefined;
  return {
    name: p.name,
    description: p.description ?? t.description,
    bucket: p.ref.datasetId,
    sourceTable: p.id,
    columns: (t.schema?.fields ?? []).map((f) => ({
      name: f.name,
      type: duckdbType(f).type,
      bigqueryType: f.mode === 'REPEATED' ? `ARRAY<${f.type}>` : f.type,
    })),
    rows: t.numRows,
    primaryKey: p.primaryKey,
    lastChangedAt: t.lastModifiedTime !== undefined ? new Date(t.lastModifiedTime).toISOString() : undefined,
    mode: p.mode,
    tableType: t.type,
    sizeBytes: t.numBytes,
    ...(partitioning ? { partitioning } : {}),
    ...(t.clustering ? { clustering: t.clustering.fields } : {}),
  };
}
