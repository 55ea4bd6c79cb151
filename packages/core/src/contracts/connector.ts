import type { Logger } from 'pino';
import type { ExtractWriter } from '../extract/writer.js';
import type { RemoteQueryEngine } from './remote-query.js';
import type { RouteDefinition } from './routes.js';
import type { ServiceHealth } from './service.js';

/** A table a connector can see at its source. */
export interface DiscoveredTable {
  /** Table name in the analytics database; must be a valid identifier to be extracted. */
  name: string;
  description?: string;
  /** Grouping at the source (a Keboola bucket, a BigQuery dataset, a folder). */
  bucket?: string;
  /** Name or id of the table at the source. */
  sourceTable?: string;
  columns?: { name: string; type: string }[];
  rows?: number;
  primaryKey?: string[];
  lastChangedAt?: string;
}

export interface ExtractRequest {
  /** Tables to extract; undefined means every table the connector has. */
  tables?: readonly string[];
  /** Writes Parquet and `extract.duckdb` atomically; the host commits it after `extract` returns. */
  writer: ExtractWriter;
  signal: AbortSignal;
  logger: Logger;
}

export interface TableOutcome {
  name: string;
  status: 'ok' | 'error' | 'skipped';
  rows?: number;
  /** For errors: a message a person understands (file and line for malformed input). */
  error?: string;
  /** Things that went wrong without failing the table (e.g. an unknown type stored as text); kept in sync history. */
  warnings?: string[];
  durationMs?: number;
}

/** What a connector reports; a table error does not stop the other tables. */
export interface ExtractReport {
  tables: TableOutcome[];
}

/**
 * A data source. The host runs `extract` with a fresh `ExtractWriter` for
 * `extracts/<source>/`, commits it when `extract` resolves and discards it when it throws,
 * so a failed extraction always leaves the previous one intact.
 */
export interface Connector {
  /** Source name: the folder under `extracts/`; must be a valid identifier. */
  readonly source: string;
  /** `local`, `keboola`, `bigquery`, `jira`…: shown in the catalog. */
  readonly sourceType: string;
  discover(signal?: AbortSignal): Promise<DiscoveredTable[]>;
  extract(request: ExtractRequest): Promise<ExtractReport>;
  /** Push routes (webhooks) the host mounts for this connector. */
  readonly routes?: readonly RouteDefinition[];
  /**
   * Queries run at the source for its remote tables (those the extract declares with
   * `writer.declareRemote`): `POST /api/query/remote` and the source parts of `/api/query/hybrid`.
   */
  readonly remote?: RemoteQueryEngine;
  /**
   * Whether the source can be read now (a folder exists, credentials are set). Shown in
   * `/api/health` as `connector:<source>` and logged at boot when not healthy; cheap, no
   * network round trip required.
   */
  health?(): Promise<ServiceHealth> | ServiceHealth;
}

/**
 * Writes of a source outside its scheduled extraction: what a push connector (a webhook's
 * change) uses. Each `push` opens a fresh `ExtractWriter` for the source, runs `write`, commits
 * when it resolves and discards everything when it throws (the previous extract stays intact);
 * the tables it reports go to sync history, and the analytics database is rebuilt once for a
 * burst of pushes (`analytics.push_rebuild_delay` after the first), not once per push.
 * Two writers may not write one table at once (ConflictError): a connector that pushes from
 * several places serialises its own pushes and extraction.
 */
export interface SourceWrites {
  push(write: (writer: ExtractWriter) => Promise<ExtractReport>): Promise<ExtractReport>;
}

export interface ConnectorRegistry {
  /**
   * Adds a connector; the host gives it a `<pluginId>:sync` job on the plugin's schedule. The
   * handle it returns writes the source between extractions (see `SourceWrites`); pushes wait
   * until the host has started.
   */
  register(connector: Connector): SourceWrites;
  list(): readonly Connector[];
  get(source: string): Connector | undefined;
}
