/**
 * A source's rows as a temporary DuckDB table (an alias of a hybrid query). The rows arrive
 * as JSON values with the source's type names, so they are appended as text to a staging
 * table and cast once to the DuckDB type each source type stands for (GoogleSQL's names and
 * DuckDB's own); a type with no plain counterpart (STRUCT, ARRAY, ranges…) is kept as JSON.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdent, type RemoteResult } from '@aida/core';

const TYPES: Record<string, string> = {
  INT64: 'BIGINT',
  INTEGER: 'BIGINT',
  INT: 'BIGINT',
  BIGINT: 'BIGINT',
  SMALLINT: 'BIGINT',
  TINYINT: 'BIGINT',
  BYTEINT: 'BIGINT',
  HUGEINT: 'HUGEINT',
  UBIGINT: 'UBIGINT',
  UINTEGER: 'UBIGINT',
  USMALLINT: 'UBIGINT',
  UTINYINT: 'UBIGINT',
  FLOAT64: 'DOUBLE',
  FLOAT: 'DOUBLE',
  DOUBLE: 'DOUBLE',
  REAL: 'DOUBLE',
  // NUMERIC is DECIMAL(38, 9) in GoogleSQL; BIGNUMERIC does not fit DuckDB's 38 digits.
  NUMERIC: 'DECIMAL(38,9)',
  DECIMAL: 'DECIMAL(38,9)',
  BIGNUMERIC: 'VARCHAR',
  BIGDECIMAL: 'VARCHAR',
  BOOL: 'BOOLEAN',
  BOOLEAN: 'BOOLEAN',
  STRING: 'VARCHAR',
  VARCHAR: 'VARCHAR',
  TEXT: 'VARCHAR',
  GEOGRAPHY: 'VARCHAR',
  UUID: 'UUID',
  // Bytes arrive as text (base64), and stay text.
  BYTES: 'VARCHAR',
  BLOB: 'VARCHAR',
  DATE: 'DATE',
  TIME: 'TIME',
  DATETIME: 'TIMESTAMP',
  // GoogleSQL's TIMESTAMP is an instant (DuckDB's is not); the session's time zone is UTC.
  TIMESTAMP: 'TIMESTAMPTZ',
  TIMESTAMPTZ: 'TIMESTAMPTZ',
  'TIMESTAMP WITH TIME ZONE': 'TIMESTAMPTZ',
  INTERVAL: 'INTERVAL',
  JSON: 'JSON',
};

/** The DuckDB type rows of source type `type` are kept as. */
export function duckdbTypeOf(type: string): string {
  const t = type.trim().toUpperCase();
  const decimal = /^(?:NUMERIC|DECIMAL)\s*\(\s*(\d{1,2})\s*(?:,\s*(\d{1,2})\s*)?\)$/.exec(t);
  if (decimal) {
    const precision = Number(decimal[1]);
    const scale = Number(decimal[2] ?? 0);
    return precision >= 1 && precision <= 38 && scale <= precision ? `DECIMAL(${precision},${scale})` : 'VARCHAR';
  }
  return TYPES[t] ?? 'JSON';
}

/** A column name as an SQL identifier, whatever characters the source allows in it. */
function quoteColumn(name: string): string {
  return `"${name.replace(/\0/g, '').replace(/"/g, '""')}"`;
}

/** Column names made unique (case-insensitively, as DuckDB compares them): `a`, `a_1`, … */
function uniqueNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((raw, i) => {
    const base = raw.trim() || `column_${i + 1}`;
    let name = base;
    for (let n = 1; seen.has(name.toLowerCase()); n++) name = `${base}_${n}`;
    seen.add(name.toLowerCase());
    return name;
  });
}

function cellText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/**
 * Creates the temporary table `alias` on `conn` holding `result`'s rows. `alias` is a checked
 * identifier; the staging table is dropped again. Throws DuckDB's error when a value does not
 * read as its column's type.
 */
export async function createAliasTable(conn: DuckDBConnection, alias: string, result: Pick<RemoteResult, 'columns' | 'rows'>): Promise<void> {
  const names = uniqueNames(result.columns.map((c) => c.name));
  // Aliases are loaded one after another on the connection: one staging name will do.
  const staging = '_aida_stage';
  const columns = names.map((n, i) => `${quoteColumn(`c${i}`)} VARCHAR`).join(', ');
  await conn.run(`CREATE TEMP TABLE ${staging} (${columns || 'c0 VARCHAR'})`);
  try {
    const appender = await conn.createAppender(staging, 'main', 'temp');
    try {
      for (const row of result.rows) {
        for (let i = 0; i < Math.max(1, names.length); i++) {
          const text = cellText(row[i]);
          if (text === null) appender.appendNull();
          else appender.appendVarchar(text);
        }
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    const select = names.length
      ? names.map((n, i) => `CAST(${quoteColumn(`c${i}`)} AS ${duckdbTypeOf(result.columns[i].type)}) AS ${quoteColumn(n)}`).join(', ')
      : 'c0';
    await conn.run(`CREATE TEMP TABLE ${quoteIdent(alias)} AS SELECT ${select} FROM temp.main.${staging}`);
  } finally {
    await conn.run(`DROP TABLE IF EXISTS temp.main.${staging}`);
  }
}
