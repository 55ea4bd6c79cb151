// The fake BigQuery's public data model: the schemas, rows and tables a test seeds, the
// failures it injects, and what the fake records. Shared by the catalog, the query engine, the
// routes and the FakeBigQuery facade.

/**
 * Column types a fixture may declare, GoogleSQL names and their legacy aliases alike. The fake
 * answers with the names BigQuery's REST API reports (INTEGER, FLOAT, BOOLEAN, RECORD for the
 * aliased ones), which are also the only names the Node client's row parser knows for records.
 */
export type FakeFieldType =
  | 'INT64'
  | 'INTEGER'
  | 'NUMERIC'
  | 'BIGNUMERIC'
  | 'FLOAT64'
  | 'FLOAT'
  | 'BOOL'
  | 'BOOLEAN'
  | 'STRING'
  | 'BYTES'
  | 'DATE'
  | 'DATETIME'
  | 'TIME'
  | 'TIMESTAMP'
  | 'GEOGRAPHY'
  | 'JSON'
  | 'STRUCT'
  | 'RECORD';

export type FakeFieldMode = 'NULLABLE' | 'REQUIRED' | 'REPEATED';

/** A TableFieldSchema as a fixture writes it (`mode` defaults to NULLABLE; `fields` for STRUCT/RECORD). */
export interface FakeField {
  name: string;
  type: FakeFieldType;
  mode?: FakeFieldMode;
  fields?: FakeField[];
  description?: string;
}

/**
 * A cell as a fixture writes it: a string for NUMERIC, BIGNUMERIC, DATETIME, TIME, GEOGRAPHY
 * (WKT) and JSON (text, or any object to serialise); a number or bigint for INT64 (a decimal
 * string too); a number for FLOAT64; a boolean; a Buffer for BYTES; a Date or ISO string for
 * TIMESTAMP and DATE; an array for REPEATED; an object for STRUCT; null or undefined for NULL.
 */
export type FakeValue = null | undefined | string | number | bigint | boolean | Date | Uint8Array | FakeValue[] | { [field: string]: FakeValue };

export type FakeRow = Record<string, FakeValue>;

export type FakeTableType = 'TABLE' | 'VIEW' | 'MATERIALIZED_VIEW';

export interface FakeTimePartitioning {
  type: 'HOUR' | 'DAY' | 'MONTH' | 'YEAR';
  /** The partitioning column; absent means ingestion-time partitioning. */
  field?: string;
  expirationMs?: string;
}

export interface AddDatasetOptions {
  /** Default: the fake's location. */
  location?: string;
  /** Default: the fake's project (another project's datasets are listed under its own path). */
  projectId?: string;
  description?: string;
  labels?: Record<string, string>;
}

interface TableOptionsBase {
  datasetId: string;
  tableId: string;
  /** Default: the fake's project. */
  projectId?: string;
  type?: FakeTableType;
  timePartitioning?: FakeTimePartitioning;
  /** The table's size as tables.get reports it; default: estimated from the rows (see README). */
  numBytes?: number;
  description?: string;
  labels?: Record<string, string>;
  /** A view's SQL, reported as `view.query` (the fake answers a view's queries from its rows). */
  viewQuery?: string;
}

export interface AddTableOptions extends TableOptionsBase {
  schema: FakeField[];
  rows?: FakeRow[];
}

/** A column of a generated table: its schema and its value at row `index` (pure, deterministic). */
export interface GeneratedColumn extends FakeField {
  value(index: number): FakeValue;
}

export interface AddGeneratedTableOptions extends TableOptionsBase {
  rows: number;
  /** Default: GENERATED_COLUMNS, ten typed columns. */
  columns?: readonly GeneratedColumn[];
}

/** A seeded table, to change its rows after the fact (each change bumps `lastModifiedTime`). */
export interface FakeTableHandle {
  readonly projectId: string;
  readonly datasetId: string;
  readonly tableId: string;
  readonly numRows: number;
  /** The fixture rows as given (a generated table has none). */
  rows(): FakeRow[];
  insert(rows: FakeRow[]): void;
  replace(rows: FakeRow[]): void;
}

/** One request the fake received (token requests included, path `/token`). */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  /** The body parsed as JSON (or the form of a token request); undefined when empty. */
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  at: number;
}

/** One query the fake evaluated, dry runs included. */
export interface QueryLogEntry {
  sql: string;
  via: 'jobs.insert' | 'jobs.query';
  dryRun: boolean;
  jobId?: string;
  labels?: Record<string, string>;
  maximumBytesBilled?: string;
  totalBytesProcessed?: number;
  totalBytesBilled?: number;
  /** The error reason it was refused with, if it was. */
  error?: string;
}

export interface FailureSpec {
  /** A RegExp tested against the path, or a string the path must contain. Absent: every path. */
  path?: RegExp | string;
  method?: string;
  /** HTTP status; default from `reason` (see fake-errors.ts). Neither: only the delay applies. */
  status?: number;
  /** Google's error reason, e.g. rateLimitExceeded, backendError; default from `status`. */
  reason?: string;
  message?: string;
  /** Matching requests it applies to (default 1; Infinity for all). */
  times?: number;
  /** Wait this long first (then answer the failure, or normally when there is none). */
  delayMs?: number;
}

/** An injected failure; `remaining` counts down and `hits` up as requests use it. */
export interface Failure extends FailureSpec {
  remaining: number;
  hits: number;
}
