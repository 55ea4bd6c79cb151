import type { ReadOnlySystemDb } from './stopped-instance.js';

export interface CatalogColumn {
  name: string;
  /** DuckDB's type name: `VARCHAR`, `TIMESTAMP WITH TIME ZONE`, `DECIMAL(18,3)`, `VARCHAR[]`, … */
  type: string;
  nullable: boolean;
  /** The default as DuckDB keeps it (`current_timestamp`, `CAST('t' AS BOOLEAN)`, `main.list_value()`). */
  default: string | null;
}

export interface CatalogTable {
  name: string;
  columns: CatalogColumn[];
  primaryKey: string[] | undefined;
  unique: string[][];
  /** CHECK expressions, as DuckDB prints them. */
  checks: string[];
  /** CREATE INDEX statements, as DuckDB keeps them. */
  indexes: string[];
  rows: number;
}

export interface CatalogSequence {
  name: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cycle: boolean;
  /** The last value handed out; null when none was. */
  last: string | null;
}

export interface SystemCatalog {
  tables: CatalogTable[];
  sequences: CatalogSequence[];
}

/** Where the system database's own objects are: its file's main schema. */
const OWN = `database_name = current_database() AND schema_name = 'main'`;

/** Every table of the system database (host's and plugins'), its columns, keys, checks, indexes and row count; and its sequences. */
export async function readCatalog(db: ReadOnlySystemDb): Promise<SystemCatalog> {
  const tables = await db.all<{ name: string }>(`SELECT table_name AS name FROM duckdb_tables() WHERE ${OWN} AND NOT temporary ORDER BY table_name`);
  const columns = await db.all<{ table_name: string; name: string; type: string; nullable: boolean; dflt: string | null }>(
    `SELECT table_name, column_name AS name, data_type AS type, is_nullable AS nullable, column_default AS dflt
     FROM duckdb_columns() WHERE ${OWN} AND NOT internal ORDER BY table_name, column_index`,
  );
  const constraints = await db.all<{ table_name: string; kind: string; expression: string | null; cols: string[] }>(
    `SELECT table_name, constraint_type AS kind, expression, constraint_column_names AS cols
     FROM duckdb_constraints() WHERE ${OWN} AND constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'CHECK')`,
  );
  const indexes = await db.all<{ table_name: string; sql: string | null }>(`SELECT table_name, sql FROM duckdb_indexes() WHERE ${OWN}`);
  const sequences = await db.all<{ name: string; start: string; increment: string; min: string; max: string; cycle: boolean; last: string | null }>(
    `SELECT sequence_name AS name, start_value::VARCHAR AS start, increment_by::VARCHAR AS increment, min_value::VARCHAR AS min,
       max_value::VARCHAR AS max, "cycle", last_value::VARCHAR AS last
     FROM duckdb_sequences() WHERE ${OWN} AND NOT temporary ORDER BY sequence_name`,
  );
  const out: CatalogTable[] = [];
  for (const { name } of tables) {
    const own = constraints.filter((c) => c.table_name === name);
    const [{ n }] = await db.all<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM "${name.replace(/"/g, '""')}"`);
    out.push({
      name,
      columns: columns.filter((c) => c.table_name === name).map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, default: c.dflt })),
      primaryKey: own.find((c) => c.kind === 'PRIMARY KEY')?.cols,
      unique: own.filter((c) => c.kind === 'UNIQUE').map((c) => c.cols),
      checks: own.filter((c) => c.kind === 'CHECK' && c.expression).map((c) => c.expression!),
      indexes: indexes.filter((i) => i.table_name === name && i.sql).map((i) => i.sql!.replace(/;\s*$/, '')),
      rows: Number(n),
    });
  }
  return { tables: out, sequences };
}
