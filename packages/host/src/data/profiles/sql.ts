/**
 * SQL text and query running shared by the profile passes: identifiers and numbers go into
 * the generated SQL only through these checks, and results come back as plain JS rows.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';

/** Double-quotes any identifier, doubling inner quotes: column names may contain anything. */
export function quoteName(name: string): string {
  if (name.includes('\0')) throw new Error('NUL byte in an identifier');
  return `"${name.replace(/"/g, '""')}"`;
}

/** A finite double as an SQL literal (JS prints shortest round-trip forms DuckDB parses exactly). */
export function lit(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`not a finite number: ${x}`);
  return `CAST('${x}' AS DOUBLE)`;
}

export function int(x: number): number {
  if (!Number.isSafeInteger(x) || x < 0) throw new Error(`expected a non-negative integer, got ${x}`);
  return x;
}

export async function rows(conn: DuckDBConnection, sql: string, params?: DuckDBValue[]): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(sql, params);
  return reader.getRowObjectsJS() as Record<string, unknown>[];
}
