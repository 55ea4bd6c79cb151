// The shapes the Keboola client speaks: Storage API resources as AIDA reads them, export
// options and results, and the client's options. Kept apart so the request code, the
// download code and the rest of the connector share one vocabulary without importing each other.
import type { GunzipThread } from './gunzip-thread.js';
import type { Logger, RetryPolicy } from './retry.js';

/** One metadata entry (`KBC.datatype.basetype`, `KBC.description`, …) as the Storage API returns it. */
export interface KeboolaMetadata {
  id?: string | number;
  key: string;
  value: string;
  provider?: string;
  timestamp?: string;
}

export interface KeboolaBucket {
  id: string;
  name: string;
  stage: string;
  displayName?: string;
  description?: string;
  lastChangeDate?: string | null;
}

/** A table as `GET /v2/storage/tables?include=columns,metadata,columnMetadata` returns it (fields AIDA reads). */
export interface KeboolaTable {
  id: string;
  name: string;
  displayName?: string;
  primaryKey?: string[];
  columns?: string[];
  rowsCount?: number | null;
  dataSizeBytes?: number | null;
  lastChangeDate?: string | null;
  lastImportDate?: string | null;
  metadata?: KeboolaMetadata[];
  columnMetadata?: Record<string, KeboolaMetadata[]>;
  bucket?: Partial<KeboolaBucket> & { id: string };
  isTyped?: boolean;
  /** Typed (native-types) tables: the backend definition with each column's base type. */
  definition?: {
    primaryKeysNames?: string[];
    columns?: { name: string; basetype?: string; definition?: { type?: string; nullable?: boolean; length?: string | null } }[];
  };
}

export interface KeboolaJob {
  id: number;
  status: 'waiting' | 'processing' | 'success' | 'error' | string;
  url?: string;
  tableId?: string;
  operationName?: string;
  results?: { file?: { id: number } } | null;
  error?: { code?: string; message?: string; exceptionId?: string } | null;
}

/** `GET /v2/storage/files/{id}?federationToken=1`: where the exported data lives and how to read it. */
export interface KeboolaFile {
  id: number;
  name: string;
  /** Signed URL of the file, or of the manifest when `isSliced`. */
  url: string;
  isSliced: boolean;
  sizeBytes?: number;
  provider?: 'aws' | 'gcp' | 'azure' | string;
  region?: string;
  /** AWS: temporary credentials for the file's S3 objects. */
  credentials?: { AccessKeyId: string; SecretAccessKey: string; SessionToken?: string; Expiration?: string };
  s3Path?: { bucket: string; key: string };
  /** GCP: an OAuth access token for the file's objects. */
  gcsCredentials?: { access_token: string; expires_in?: number; token_type?: string; projectId?: string };
  gcsPath?: { bucket: string; key: string };
  /** Azure: a SAS connection string for the file's container. */
  absCredentials?: { SASConnectionString: string; expiration?: string };
  absPath?: { container: string; name: string };
}

export interface ExportOptions {
  /** Only rows imported or changed since then. */
  changedSince?: Date;
  columns?: readonly string[];
  where?: { column: string; values: readonly string[]; operator: 'eq' | 'ne' };
}

export interface DownloadedExport {
  fileId: number;
  sliced: boolean;
  /** Decompressed CSV files in order; a non-sliced file has a header row, slices have none. */
  paths: string[];
  /** Bytes written after decompression. */
  bytes: number;
}

export interface KeboolaClientOptions {
  /** Stack URL, e.g. https://connection.keboola.com */
  url: string;
  token: string;
  timeouts: { request: number; idle: number; download: number; export: number; poll_initial: number; poll_max: number };
  retries: { max: number; base_delay: number; max_delay: number; max_retry_after: number };
  maxParallelSlices: number;
  s3Endpoint?: string;
  gcsEndpoint?: string;
  logger?: Logger;
  /**
   * The gunzip worker's script; null gunzips on the main thread. Default: the compiled
   * `gunzip-worker.js` next to the client (the main thread when it is absent, as under a test
   * runner executing the TypeScript sources).
   */
  gunzipWorker?: URL | null;
}

export interface CallContext {
  signal: AbortSignal;
  logger?: Logger;
}

/** What the transfer helpers need from their client: its options, retry policy and redaction (which sees every secret the client learns). */
export interface ClientRuntime {
  options: KeboolaClientOptions;
  policy: RetryPolicy;
  redact: (text: string) => string;
  /** Where gzip bodies are inflated, unless on the main thread. */
  gunzip?: GunzipThread;
}
