import type { PlainValue, PluginDatabase, SqlStatements } from '@aida/core';

/**
 * What the repositories need of the system database: statements and transactions. The
 * plugin's `tokens.database` is one; a test may hand in the host's system database itself.
 */
export type MemoryDb = Pick<PluginDatabase, 'all' | 'run' | 'transaction'>;
export type { SqlStatements };

/** A timestamp as the system database binds it: ISO 8601 text cast with `?::TIMESTAMP` (UTC, as the host stores times). */
export const ts = (d: Date): string => d.toISOString();

/** A list of text bound as it is and cast with `?::VARCHAR[]` (a DuckDB LIST, a PostgreSQL array). */
export const list = (xs: readonly string[]): readonly string[] => [...xs];

export type Row = Record<string, PlainValue>;

/** A JSON column as the system database returns it (text), parsed; `fallback` for NULL. */
export function parseJson<T>(v: PlainValue | undefined, fallback: T): T {
  if (v === null || v === undefined) return fallback;
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

export const asDate = (v: PlainValue | undefined): Date => (v instanceof Date ? v : new Date(String(v)));
export const asDateOrNull = (v: PlainValue | undefined): Date | null => (v === null || v === undefined ? null : asDate(v));
export const asStrings = (v: PlainValue | undefined): string[] => (Array.isArray(v) ? v.map(String) : []);

/** A LIMIT or OFFSET written into SQL: only a whole, non-negative number gets there. */
export function int(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`expected a whole non-negative number, got ${n}`);
  return n;
}

/**
 * Rows per multi-row statement. Every statement is a round trip through the system database's
 * queue, so a note's items are written a few statements at a time, not one each; the cap keeps
 * one statement's text and parameters small whatever a note holds.
 */
const ROWS_PER_STATEMENT = 200;

/** A value bound to a `?` as it is: text, a number, a flag, a list of text or NULL (times are bound as text and cast). */
export type Bound = string | number | boolean | null | readonly string[];

/** Runs `sql(values)` over `rows`, ROWS_PER_STATEMENT at a time: `values` is `row` (one row's placeholders) once per row, bound by `params`. */
export async function runRows<T>(
  tx: SqlStatements,
  rows: readonly T[],
  row: string,
  sql: (values: string) => string,
  params: (r: T) => Bound[],
): Promise<void> {
  for (let at = 0; at < rows.length; at += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(at, at + ROWS_PER_STATEMENT);
    await tx.run(sql(chunk.map(() => row).join(', ')), chunk.flatMap(params));
  }
}
