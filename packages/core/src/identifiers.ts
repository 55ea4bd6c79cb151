import { InputError, InvalidIdentifierError } from './errors.js';

/** Source and table names: the only identifiers that are ever interpolated into SQL. */
export const IDENTIFIER_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/;

export function isValidIdentifier(name: unknown): name is string {
  return typeof name === 'string' && IDENTIFIER_PATTERN.test(name);
}

/** Throws an InputError naming what was wrong; use where a bad name must stop the work. */
export function assertIdentifier(name: unknown, what = 'identifier'): string {
  if (!isValidIdentifier(name)) {
    throw new InvalidIdentifierError(`Invalid ${what} ${JSON.stringify(name)}: must match ${IDENTIFIER_PATTERN.source}`);
  }
  return name;
}

/** Double-quotes a validated identifier for SQL. */
export function quoteIdent(name: string): string {
  return `"${assertIdentifier(name)}"`;
}

/**
 * Column names the writer is told about (merge keys, partition columns): letters, digits and
 * `_`, as sources such as Keboola name them (a leading digit is allowed, unlike table names).
 */
export const COLUMN_NAME_PATTERN = /^[A-Za-z0-9_]{1,255}$/;

/** Double-quotes a column name after checking it against COLUMN_NAME_PATTERN. */
export function quoteColumnName(name: unknown, what = 'column name'): string {
  if (typeof name !== 'string' || !COLUMN_NAME_PATTERN.test(name)) {
    throw new InvalidIdentifierError(`Invalid ${what} ${JSON.stringify(name)}: must match ${COLUMN_NAME_PATTERN.source}`);
  }
  return `"${name}"`;
}

/** Single-quoted SQL string literal (for paths and other values DuckDB cannot bind as parameters). */
export function sqlString(value: string): string {
  if (value.includes('\0')) throw new InputError('NUL byte in SQL string literal');
  return `'${value.replace(/'/g, "''")}'`;
}
