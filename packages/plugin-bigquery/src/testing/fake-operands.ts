// WHERE values against a column, typed as GoogleSQL types them: a literal coerces where
// GoogleSQL coerces literals (a string to DATE, DATETIME, TIME or TIMESTAMP; a number to any
// numeric type), a query parameter keeps its declared type, and anything else is BigQuery's
// "No matching signature for operator …". Each comparison compiles to one function of a cell.
import { BigQueryError } from './fake-errors.js';
import { compareCells, compareDecimal } from './fake-cells.js';
import { canonicalDecimal, fieldCell, type CanonicalType, type Cell, type Field } from './fake-schema.js';
import type { CompareOp, Operand } from './fake-sql.js';

/** A query parameter as jobs.insert/jobs.query carry it (scalar ones only are supported). */
export interface QueryParameter {
  name?: string;
  parameterType?: { type?: string; arrayType?: unknown; structTypes?: unknown };
  /** The API documents a string; the Node client sends numbers and booleans as JSON numbers and booleans, which BigQuery accepts. */
  parameterValue?: { value?: string | number | boolean | null; arrayValues?: unknown; structValues?: unknown };
}

export interface ParameterSet {
  mode?: string;
  list: readonly QueryParameter[];
}

const NUMERIC_TYPES = new Set<CanonicalType>(['INTEGER', 'FLOAT', 'NUMERIC', 'BIGNUMERIC']);
/** GoogleSQL names for the canonical types, as its messages write them. */
const SQL_NAMES: Partial<Record<CanonicalType, string>> = { INTEGER: 'INT64', FLOAT: 'FLOAT64', BOOLEAN: 'BOOL', RECORD: 'STRUCT' };
const PARAM_TYPES: Record<string, CanonicalType> = {
  INT64: 'INTEGER',
  INTEGER: 'INTEGER',
  FLOAT64: 'FLOAT',
  FLOAT: 'FLOAT',
  NUMERIC: 'NUMERIC',
  BIGNUMERIC: 'BIGNUMERIC',
  BOOL: 'BOOLEAN',
  BOOLEAN: 'BOOLEAN',
  STRING: 'STRING',
  BYTES: 'BYTES',
  DATE: 'DATE',
  DATETIME: 'DATETIME',
  TIME: 'TIME',
  TIMESTAMP: 'TIMESTAMP',
};

export function sqlTypeName(f: Pick<Field, 'type' | 'mode'>): string {
  const base = SQL_NAMES[f.type] ?? f.type;
  return f.mode === 'REPEATED' ? `ARRAY<${base}>` : base;
}

/** A typed right-hand side: its type and its cell (null for a NULL parameter). */
interface Typed {
  type: CanonicalType;
  cell: Cell;
  /** A number literal's text, so INT64 and NUMERIC columns compare with it exactly. */
  numberText?: string;
}

/** `cell <op> value` for one column, as a predicate (NULL on either side is never true). */
export function compilePredicate(column: Field, op: CompareOp, operand: Operand, params: ParameterSet, at: string): (cell: Cell) => boolean {
  const rhs = typedOperand(column, operand, params, at);
  const signatureError = () =>
    BigQueryError.invalidQuery(
      `No matching signature for operator ${op} for argument types: ${sqlTypeName(column)}, ${sqlTypeName({ type: rhs.type, mode: 'NULLABLE' })} at ${at}`,
    );
  const bothNumeric = NUMERIC_TYPES.has(column.type) && NUMERIC_TYPES.has(rhs.type);
  if (!bothNumeric && column.type !== rhs.type) throw signatureError();
  if (rhs.cell === null) return () => false;
  const compare = comparator(column.type, rhs);
  const accept = OPS[op];
  return (cell) => {
    if (cell === null) return false;
    const c = compare(cell);
    return c === null ? op === '!=' : accept(c);
  };
}

const OPS: Record<CompareOp, (c: number) => boolean> = {
  '<': (c) => c < 0,
  '<=': (c) => c <= 0,
  '>': (c) => c > 0,
  '>=': (c) => c >= 0,
  '=': (c) => c === 0,
  '!=': (c) => c !== 0,
};

/** Compares a column cell with the value: <0, 0, >0, or null when unordered (NaN). */
function comparator(columnType: CanonicalType, rhs: Typed): (cell: Cell) => number | null {
  const v = rhs.cell;
  if (columnType === 'FLOAT' || rhs.type === 'FLOAT') {
    const y = typeof v === 'number' ? v : Number(v);
    return (cell) => {
      const x = Number(cell);
      return Number.isNaN(x) || Number.isNaN(y) ? null : x === y ? 0 : x < y ? -1 : 1;
    };
  }
  if (NUMERIC_TYPES.has(columnType)) {
    const text = rhs.numberText ?? String(v);
    if (columnType === 'INTEGER' && typeof v === 'bigint') return (cell) => compareCells('INTEGER', cell, v);
    return (cell) => compareDecimal(String(cell), text);
  }
  return (cell) => compareCells(columnType, cell, v);
}

function typedOperand(column: Field, o: Operand, params: ParameterSet, at: string): Typed {
  switch (o.kind) {
    case 'number':
      return /^-?\d+$/.test(o.text)
        ? { type: 'INTEGER', cell: BigInt(o.text), numberText: o.text }
        : { type: 'FLOAT', cell: Number(o.text), numberText: o.text };
    case 'bool':
      return { type: 'BOOLEAN', cell: o.value };
    case 'string':
      // GoogleSQL coerces a string literal to the civil and timestamp types; otherwise it stays a STRING.
      return ['DATE', 'DATETIME', 'TIME', 'TIMESTAMP'].includes(column.type) ? literalOf(column.type, o.value, at) : { type: 'STRING', cell: o.value };
    case 'typed':
      return literalOf(o.type, o.value, at);
    case 'param':
    case 'positional':
      return parameterOf(o, params, at);
  }
}

function literalOf(type: CanonicalType, text: string, at: string): Typed {
  const cell = textCell(type, text);
  if (cell === undefined)
    throw BigQueryError.invalidQuery(`Could not cast literal ${JSON.stringify(text)} to type ${sqlTypeName({ type, mode: 'NULLABLE' })} at ${at}`);
  return { type, cell, ...(type === 'NUMERIC' || type === 'BIGNUMERIC' ? { numberText: cell as string } : {}) };
}

/** A value's text as a cell of a type, or undefined when it is not one. */
function textCell(type: CanonicalType, text: string): Cell | undefined {
  try {
    switch (type) {
      case 'NUMERIC':
      case 'BIGNUMERIC':
        return canonicalDecimal(text, type === 'NUMERIC' ? 9 : 38) ?? undefined;
      case 'FLOAT':
        return /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?inf|[+-]?infinity|nan)$/i.test(text.trim())
          ? Number(
              text
                .trim()
                .replace(/^([+-]?)inf(inity)?$/i, '$1Infinity')
                .replace(/^nan$/i, 'NaN'),
            )
          : undefined;
      case 'BOOLEAN':
        return /^(true|false)$/i.test(text) ? text.toLowerCase() === 'true' : undefined;
      case 'BYTES':
        return Buffer.from(text, 'base64');
      case 'TIMESTAMP':
        // Parameter values are sent as `YYYY-MM-DD HH:MM:SS.ffffff+00:00` or ISO; both parse here.
        return fieldCell({ name: 'v', type, mode: 'NULLABLE' }, text, 'value');
      default:
        return fieldCell({ name: 'v', type, mode: 'NULLABLE' }, type === 'STRING' ? text : text.trim(), 'value');
    }
  } catch {
    return undefined;
  }
}

function parameterOf(o: Extract<Operand, { kind: 'param' | 'positional' }>, params: ParameterSet, at: string): Typed {
  const named = o.kind === 'param';
  if (params.list.length && (params.mode ?? '').toUpperCase() !== (named ? 'NAMED' : 'POSITIONAL')) {
    throw BigQueryError.invalidQuery(
      `${named ? 'Named' : 'Positional'} parameters are not supported in ${named ? 'positional' : 'named'} parameter mode at ${at}`,
    );
  }
  const p = named ? params.list.find((x) => x.name?.toLowerCase() === o.name.toLowerCase()) : params.list[o.index];
  if (!p) throw BigQueryError.invalidQuery(named ? `Query parameter '${o.name}' not found at ${at}` : `Positional parameter ${o.index + 1} not found at ${at}`);
  const declared = (p.parameterType?.type ?? '').toUpperCase();
  const type = PARAM_TYPES[declared];
  if (!type) throw BigQueryError.invalidQuery(`The fake does not support query parameters of type ${declared || 'unknown'} at ${at}`);
  const value = p.parameterValue?.value;
  if (value === null || value === undefined) return { type, cell: null };
  const cell = textCell(type, String(value));
  if (cell === undefined) throw BigQueryError.invalid(`Invalid ${declared} value for query parameter ${named ? o.name : o.index + 1}: ${String(value)}`);
  return { type, cell, ...(NUMERIC_TYPES.has(type) && type !== 'FLOAT' ? { numberText: String(cell) } : {}) };
}
