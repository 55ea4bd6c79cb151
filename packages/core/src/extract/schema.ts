/** The extract contract: tables every `extract.duckdb` holds (see docs/plugin-authors.md). */
export const EXTRACT_SCHEMA_SQL = {
  meta: `CREATE TABLE _meta (
    table_name VARCHAR NOT NULL,
    description VARCHAR,
    rows BIGINT,
    size_bytes BIGINT,
    extracted_at TIMESTAMP,
    query_mode VARCHAR
  )`,
  /** One row per Parquet file, hashed when it was written, so nothing is hashed per request. */
  files: `CREATE TABLE _files (
    table_name VARCHAR NOT NULL,
    part VARCHAR,
    path VARCHAR NOT NULL,
    rows BIGINT NOT NULL,
    size_bytes BIGINT NOT NULL,
    md5 VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    written_at TIMESTAMP NOT NULL
  )`,
} as const;

/** The columns of `_meta` and `_files` with their types, for inserting rows (insertJsonRows). */
export const META_COLUMNS = {
  table_name: 'VARCHAR',
  description: 'VARCHAR',
  rows: 'BIGINT',
  size_bytes: 'BIGINT',
  extracted_at: 'TIMESTAMP',
  query_mode: 'VARCHAR',
} as const;
export const FILE_COLUMNS = {
  table_name: 'VARCHAR',
  part: 'VARCHAR',
  path: 'VARCHAR',
  rows: 'BIGINT',
  size_bytes: 'BIGINT',
  md5: 'VARCHAR',
  sha256: 'VARCHAR',
  written_at: 'TIMESTAMP',
} as const;

export interface MetaRow {
  table_name: string;
  description: string | null;
  rows: number;
  size_bytes: number;
  extracted_at: Date;
  query_mode: 'local' | 'remote';
}

export interface FileRow {
  table_name: string;
  /** Partition name for partitioned tables, null for a single-file table. */
  part: string | null;
  /** Relative to the source folder, e.g. `data/orders.3f2a….parquet`. */
  path: string;
  rows: number;
  size_bytes: number;
  md5: string;
  sha256: string;
  written_at: Date;
}
