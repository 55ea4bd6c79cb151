// Part names of partitioned tables: what a part may be called (it becomes a file name and a
// `?part=` value) and the SQL that names a row's part.
import { InputError } from '../errors.js';
import { quoteColumnName } from '../identifiers.js';
import type { PartitionBy } from './modes.js';

export const PART_PATTERN = /^[A-Za-z0-9_=-]{1,64}$/;
/** The part of rows whose partition value is NULL. */
export const NULL_PART = '__null__';
/**
 * The one part of a partitioned table without rows: it keeps the table's columns, and the table
 * served (a table with no file at all would have no view).
 */
export const EMPTY_PART = '__empty__';

const FORMAT = { day: '%Y-%m-%d', month: '%Y-%m', year: '%Y' } as const;

export function assertPartNames(parts: Iterable<string>): void {
  const bad = [...parts].filter((p) => !PART_PATTERN.test(p));
  if (bad.length) {
    const shown = bad
      .slice(0, 5)
      .map((p) => JSON.stringify(p))
      .join(', ');
    throw new InputError(
      `Invalid partition name${bad.length > 1 ? 's' : ''} ${shown}${bad.length > 5 ? ` (+${bad.length - 5} more)` : ''}: must match ${PART_PATTERN.source}`,
    );
  }
}

/** Orders files by part as DuckDB orders text (code units), the unpartitioned file first. */
export function byPart(a: { part: string | null }, b: { part: string | null }): number {
  if (a.part === b.part) return 0;
  if (a.part === null || b.part === null) return a.part === null ? -1 : 1;
  return a.part < b.part ? -1 : 1;
}

/** SQL naming the part of a row (VARCHAR, never NULL); runs over the batch's columns. */
export function partSql(by: PartitionBy): string {
  let value: string;
  if (typeof by.expression === 'string') value = `(${by.expression})`;
  else if (by.granularity) value = `strftime(CAST(${quoteColumnName(by.column, 'partition column')} AS DATE), '${FORMAT[by.granularity]}')`;
  else value = quoteColumnName(by.column, 'partition column');
  return `coalesce(CAST(${value} AS VARCHAR), '${NULL_PART}')`;
}
