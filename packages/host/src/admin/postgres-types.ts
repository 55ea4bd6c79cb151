import { ConflictError } from '@aida/core';
import { toPostgresDdl } from '../state/postgres-sql.js';
import type { CatalogColumn } from './duckdb-catalog.js';

/**
 * How one DuckDB column travels to PostgreSQL: the type a table created from the DuckDB catalog
 * gives it, what the DuckDB side reads, and how that becomes a pg parameter. Values whose JS form
 * would lose something (BIGINTs past 2^53, microseconds of a TIMESTAMP, DECIMALs, the zone of a
 * TIMESTAMPTZ) are read as DuckDB's text for them, which PostgreSQL parses into the same value;
 * BLOBs travel as base64 and become Buffers (BYTEA).
 */
export interface ColumnTransfer {
  column: string;
  postgresType: string;
  /** The DuckDB expression read for it (the column, or a cast of it). */
  select: string;
  /** From the JS value DuckDB gives for `select` to the pg parameter. */
  toParam: (value: unknown) => unknown;
}

/** Scalars pg takes as the JS values DuckDB gives (strings, numbers, booleans). */
const NATIVE: Record<string, string> = {
  VARCHAR: 'VARCHAR',
  BOOLEAN: 'BOOLEAN',
  TINYINT: 'SMALLINT',
  SMALLINT: 'SMALLINT',
  INTEGER: 'INTEGER',
  UTINYINT: 'SMALLINT',
  USMALLINT: 'INTEGER',
  UINTEGER: 'BIGINT',
  FLOAT: 'REAL',
  DOUBLE: 'DOUBLE PRECISION',
};

/** Scalars read as DuckDB's text, which PostgreSQL parses exactly. */
const AS_TEXT: Record<string, string> = {
  BIGINT: 'BIGINT',
  UBIGINT: 'NUMERIC(20)',
  HUGEINT: 'NUMERIC(39)',
  UHUGEINT: 'NUMERIC(39)',
  DATE: 'DATE',
  TIME: 'TIME',
  'TIME WITH TIME ZONE': 'TIMETZ',
  TIMESTAMP: 'TIMESTAMP',
  TIMESTAMP_S: 'TIMESTAMP',
  TIMESTAMP_MS: 'TIMESTAMP',
  TIMESTAMP_NS: 'TIMESTAMP',
  'TIMESTAMP WITH TIME ZONE': 'TIMESTAMPTZ',
  INTERVAL: 'INTERVAL',
  UUID: 'UUID',
  JSON: 'JSON',
};

const same = (v: unknown) => v;

/** The transfer of a column of `table`; a type PostgreSQL has no counterpart for is refused, naming the column. */
export function columnTransfer(table: string, column: CatalogColumn): ColumnTransfer {
  const ref = `"${column.name.replace(/"/g, '""')}"`;
  const scalar = scalarOf(column.type);
  if (scalar) {
    if (scalar.kind === 'native') return { column: column.name, postgresType: scalar.postgres, select: ref, toParam: same };
    if (scalar.kind === 'text') return { column: column.name, postgresType: scalar.postgres, select: `CAST(${ref} AS VARCHAR)`, toParam: same };
    return {
      column: column.name,
      postgresType: 'BYTEA',
      select: `to_base64(${ref})`,
      toParam: (v) => (typeof v === 'string' ? Buffer.from(v, 'base64') : v),
    };
  }
  const element = /^(.+)\[\]$/.exec(column.type)?.[1];
  const inner = element ? scalarOf(element) : undefined;
  if (element && inner && inner.kind !== 'blob') {
    // pg writes a JS array as an array literal; its elements as text where they are not native.
    const select = inner.kind === 'native' ? ref : `CAST(${ref} AS VARCHAR[])`;
    return { column: column.name, postgresType: `${inner.postgres}[]`, select, toParam: same };
  }
  throw new ConflictError(
    `${table}.${column.name} is of DuckDB type ${column.type}, which has no PostgreSQL counterpart this command knows: ` +
      'the state cannot be copied as it is (change the column in DuckDB, or ask the plugin that owns the table)',
    { detail: { table, column: column.name, type: column.type } },
  );
}

function scalarOf(type: string): { kind: 'native' | 'text' | 'blob'; postgres: string } | undefined {
  if (NATIVE[type]) return { kind: 'native', postgres: NATIVE[type] };
  if (AS_TEXT[type]) return { kind: 'text', postgres: AS_TEXT[type] };
  if (type === 'BLOB') return { kind: 'blob', postgres: 'BYTEA' };
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(type);
  if (decimal) return { kind: 'text', postgres: `NUMERIC(${decimal[1]},${decimal[2]})` };
  // An ENUM's values are its labels: VARCHAR holds them (the set of allowed labels is not carried).
  if (/^ENUM\(/.test(type)) return { kind: 'text', postgres: 'VARCHAR' };
  return undefined;
}

/**
 * A DuckDB default or CHECK expression in PostgreSQL's words, for the few spellings that differ
 * (an empty list, DuckDB's type names); anything else is tried as it is.
 */
export function postgresExpression(expr: string): string {
  return toPostgresDdl(expr.replace(/\b(?:main\.)?list_value\(\s*\)/gi, "'{}'"));
}
