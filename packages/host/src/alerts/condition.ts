// When a rule fires: a row count (`rows > 0`) or a column of the result compared with a value.
import { z } from 'zod';

export const OPS = ['>', '>=', '<', '<=', '=', '!='] as const;
export type Op = (typeof OPS)[number];

const ROWS = /^\s*rows\s*(>=|<=|!=|>|<|=)\s*(\d{1,9})\s*$/;

export const columnConditionSchema = z
  .object({
    column: z.string().min(1).max(200),
    op: z.enum(OPS),
    value: z.union([z.number(), z.string().max(1000), z.boolean(), z.null()]),
  })
  .strict();

/**
 * `"rows > 0"` (any of the six operators and a whole number), or `{column, op, value}`: true
 * when at least one row's `column` compares so with `value`.
 */
export const conditionSchema = z
  .union([z.string().regex(ROWS, 'a text condition is "rows <op> <whole number>", e.g. "rows > 0", with op one of > >= < <= = !='), columnConditionSchema])
  .meta({ description: '"rows > 0" (> >= < <= = != and a whole number), or {column, op, value}: fires when at least one row compares so' });

export type ConditionInput = z.output<typeof conditionSchema>;
export type ColumnCondition = z.output<typeof columnConditionSchema>;

/** The column a condition reads, if any (to check it exists at save time). */
export function conditionColumn(c: ConditionInput): string | undefined {
  return typeof c === 'string' ? undefined : c.column;
}

/** What a run's rows say about a condition: whether it holds, and the first row that made it hold. */
export interface ConditionOutcome {
  met: boolean;
  /** Index of the first row satisfying a column condition (0 for a row-count condition with rows). */
  row: number | undefined;
}

export function evaluateCondition(c: ConditionInput, columns: readonly { name: string }[], rows: readonly unknown[][]): ConditionOutcome {
  if (typeof c === 'string') {
    const [, op, n] = ROWS.exec(c)!;
    return { met: compareNumbers(rows.length, op as Op, Number(n)), row: rows.length ? 0 : undefined };
  }
  const index = columns.findIndex((col) => col.name === c.column);
  if (index < 0) return { met: false, row: undefined };
  const row = rows.findIndex((r) => holds(r[index], c.op, c.value));
  return { met: row >= 0, row: row >= 0 ? row : undefined };
}

/**
 * One comparison. Numbers compare as numbers (DECIMALs and big integers arrive as text and are
 * read as numbers), text as text (so ISO timestamps order correctly), true/false and null only
 * with = and !=. A value that cannot be compared with the rule's value never satisfies it.
 */
export function holds(cell: unknown, op: Op, value: ColumnCondition['value']): boolean {
  if (value === null || typeof value === 'boolean') {
    if (op !== '=' && op !== '!=') return false;
    const same = cell === value || (value === null && cell === undefined);
    return op === '=' ? same : !same;
  }
  if (cell === null || cell === undefined) return false;
  if (typeof value === 'number') {
    const n = typeof cell === 'number' ? cell : typeof cell === 'string' && cell.trim() !== '' ? Number(cell) : Number.NaN;
    return Number.isFinite(n) && compareNumbers(n, op, value);
  }
  const text = typeof cell === 'string' ? cell : typeof cell === 'number' || typeof cell === 'boolean' ? String(cell) : JSON.stringify(cell);
  return compareOrdered(text < value ? -1 : text > value ? 1 : 0, op);
}

function compareNumbers(a: number, op: Op, b: number): boolean {
  return compareOrdered(a < b ? -1 : a > b ? 1 : 0, op);
}

function compareOrdered(sign: number, op: Op): boolean {
  switch (op) {
    case '>':
      return sign > 0;
    case '>=':
      return sign >= 0;
    case '<':
      return sign < 0;
    case '<=':
      return sign <= 0;
    case '=':
      return sign === 0;
    case '!=':
      return sign !== 0;
  }
}
