// The fake stack's data model: the tables and rows a test seeds, the export jobs and files the
// fake derives from them, the objects its storages serve, and the request log. Shared by the
// Storage API routes, the object servers and the FakeKeboola facade.

export interface FakeRow {
  /** Column → value; null is NULL, which only a `typed` table can hold (a non-typed table exports it as ''). */
  values: Record<string, string | null>;
  /** When the row was last imported or changed (ms): what `changedSince` filters on. */
  changedAt: number;
}

export interface FakeTable {
  id: string;
  columns: string[];
  primaryKey: string[];
  /** Keboola base types (and NUMERIC lengths) recorded as column metadata by the `user` provider. */
  types?: Record<string, { basetype: string; length?: string }>;
  rows: FakeRow[];
  /**
   * A typed (native-types, Snowflake-backed) table: listed with `isTyped: true` and a
   * `definition` built from `types`, and exported with NULL as a bare empty field and the
   * empty string as `""`. Non-typed tables hold strings only and quote every value.
   */
  typed?: boolean;
  /** Export as a sliced file with this many slices (on `provider` storage); non-sliced when unset. */
  slices?: number;
  provider?: 'aws' | 'gcp' | 'azure';
  /** The export job ends in error with this message. */
  failExport?: string;
  description?: string;
}

export interface RecordedRequest {
  server: 'api' | 's3';
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  body?: Record<string, unknown>;
  /** Whether the Storage API token header was present (its value is never recorded). */
  hadToken: boolean;
}

export interface FakeFile {
  id: number;
  name: string;
  sliced: boolean;
  provider: 'aws' | 'gcp' | 'azure';
  /** Non-sliced file bytes (gzip) or the manifest JSON. */
  content: Buffer;
  sizeBytes: number;
}

export interface FakeJob {
  id: number;
  tableId: string;
  status: 'waiting' | 'processing' | 'success' | 'error';
  polls: number;
  params: Record<string, unknown>;
  /** The exported rows' values in `columns` order; null only for typed tables. */
  snapshot: (string | null)[][];
  columns: string[];
  fileId?: number;
  error?: string;
  created: string;
}

/** An object of the fake file storages: bytes in memory or a local file (benchmarks). */
export type StoredObject = Buffer | { path: string };
