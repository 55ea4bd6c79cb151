import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { sqlString } from './identifiers.js';

/** Parameters DuckDB can bind. */
export type SqlParams = DuckDBValue[] | Record<string, DuckDBValue>;

export type PlainValue = string | number | boolean | null | Date | PlainValue[] | { [k: string]: PlainValue };

/** Turns BIGINTs that fit into numbers (counts, sizes, ids); larger ones stay as decimal strings. */
export function plainValue(v: unknown): PlainValue {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(plainValue);
  if (v instanceof Date) return v;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainValue(x)]));
  return v as PlainValue;
}

/** Runs a query and returns its rows as plain JS objects. */
export async function queryRows<T = Record<string, PlainValue>>(conn: DuckDBConnection, sql: string, params?: SqlParams): Promise<T[]> {
  const reader = await conn.runAndReadAll(sql, params);
  return reader.getRowObjectsJS().map((row) => plainValue(row) as T);
}

/**
 * Inserts rows given as objects (`Date`s as instants) into `table` (an identifier the caller
 * quoted) through one JSON parameter read with the columns' types: binding one parameter per
 * value costs several times more for a few hundred rows, and a commit or rebuild lists every
 * file of a source. Columns absent from `columns` are left to their defaults.
 */
export async function insertJsonRows(conn: DuckDBConnection, table: string, columns: Readonly<Record<string, string>>, rows: readonly object[]): Promise<void> {
  if (!rows.length) return;
  await conn.run(
    `INSERT INTO ${table} BY NAME SELECT * FROM (SELECT unnest(from_json($1::JSON, ${sqlString(JSON.stringify([columns]))}), recursive := true))`,
    [JSON.stringify(rows)],
  );
}
