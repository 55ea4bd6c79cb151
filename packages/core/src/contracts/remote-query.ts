// Tables that stay at their source and are queried there (BigQuery's big tables): the
// connector plans and runs the source's own SQL, the host guards it — who may read what the
// query references, what it may scan, how much a user may scan a day and at once — and
// serves the answers (`POST /api/query/remote`, and the BigQuery parts of `POST /api/query/hybrid`).

/** What a query would read and cost, planned without running it (BigQuery's dry run). */
export interface RemoteEstimate {
  /** AIDA table names (as in the catalog) of the registered tables the query references. */
  tables: string[];
  /** Source tables it references that no AIDA table stands for (`project.dataset.table`): the host refuses those. */
  unregistered: string[];
  /** Bytes the query would scan. */
  bytes: number;
}

export interface RemoteResult {
  columns: { name: string; type: string }[];
  /** Values as JSON would carry them (numbers beyond 2^53, decimals and timestamps as text). */
  rows: unknown[][];
  /** More rows existed than `limit`. */
  truncated: boolean;
  /** Bytes the source billed for the run. */
  bytesScanned: number;
}

export interface RemoteRunOptions {
  /** Rows to return at most. */
  limit: number;
  signal: AbortSignal;
  /** Who asked (an AIDA user id), for the source's own cost attribution (job labels). */
  userId: string;
  /** The run fails rather than scan more than this (BigQuery's maximumBytesBilled). */
  maxBytes: number;
}

/** The cost guards the host applies to a remote source's queries. */
export interface RemoteQueryLimits {
  /** One query may scan at most this much (estimated first). */
  maxScanBytes: number;
  /** One user may scan this much per UTC day, across queries. */
  userDailyBytes: number;
  /** Queries one user may run at once. */
  userConcurrent: number;
}

/** A connector's remote side: `Connector.remote`. */
export interface RemoteQueryEngine {
  /** The SQL dialect the source speaks, for messages (`GoogleSQL`). */
  readonly dialect: string;
  readonly limits: RemoteQueryLimits;
  /** Plans `sql` without running it; a query the source refuses is an InputError with its message. */
  estimate(sql: string, options: { signal: AbortSignal; userId: string }): Promise<RemoteEstimate>;
  run(sql: string, options: RemoteRunOptions): Promise<RemoteResult>;
}
