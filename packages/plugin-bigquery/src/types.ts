// BigQuery column types as DuckDB types (the README's table), and the SQL that turns a staged
// cell — BigQuery's text of the value, or the f/v JSON of a nested one — into that type.
// A type DuckDB cannot hold exactly (an unbounded BIGNUMERIC, INTERVAL, RANGE) is kept as text,
// with a warning in the sync history.
import type { TableField } from './api-types.js';

/** The standard name of a type, whichever of BigQuery's two spellings the schema uses. */
export function standardType(type: string): string {
  switch (type.toUpperCase()) {
    case 'INTEGER':
      return 'INT64';
    case 'FLOAT':
      return 'FLOAT64';
    case 'BOOLEAN':
      return 'BOOL';
    case 'RECORD':
      return 'STRUCT';
    case 'BIGDECIMAL':
      return 'BIGNUMERIC';
    case 'DECIMAL':
      return 'NUMERIC';
    default:
      return type.toUpperCase();
  }
}

/** DuckDB's DECIMAL holds at most 38 digits. */
const MAX_DECIMAL_PRECISION = 38;

/** Double-quotes a name for DuckDB SQL (BigQuery's names may not fit core's identifier rules; quoting doubles any quote). */
export function quoteName(name: string): string {
  if (name.includes('\0')) throw new Error(`column name with a NUL byte: ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

/** A column as DuckDB stores it, with what mapping it lost, if anything. */
export interface ColumnType {
  /** DuckDB type, e.g. `BIGINT`, `DECIMAL(38,9)`, `STRUCT("a" BIGINT)[]`. */
  type: string;
  warnings: string[];
}

/** The DuckDB type of a BigQuery field (REPEATED → a list of it). `path` names it in warnings. */
export function duckdbType(field: TableField, path = field.name): ColumnType {
  const warnings: string[] = [];
  const type = elementType(field, path, warnings);
  return { type: field.mode === 'REPEATED' ? `${type}[]` : type, warnings };
}

function elementType(field: TableField, path: string, warnings: string[]): string {
  switch (standardType(field.type)) {
    case 'INT64':
      return 'BIGINT';
    case 'FLOAT64':
      return 'DOUBLE';
    case 'NUMERIC':
      return 'DECIMAL(38,9)';
    case 'BIGNUMERIC': {
      const fit = bigNumericDecimal(field);
      if (fit) return fit;
      warnings.push(
        `${path}: BIGNUMERIC${field.precision ? `(${field.precision}${field.scale !== undefined ? `,${field.scale}` : ''})` : ''} needs more than ${MAX_DECIMAL_PRECISION} digits; stored as VARCHAR (declare it BIGNUMERIC(P,S) with P ≤ 38 to get a DECIMAL)`,
      );
      return 'VARCHAR';
    }
    case 'BOOL':
      return 'BOOLEAN';
    case 'STRING':
      return 'VARCHAR';
    case 'BYTES':
      return 'BLOB';
    case 'DATE':
      return 'DATE';
    case 'DATETIME':
      return 'TIMESTAMP';
    case 'TIME':
      return 'TIME';
    case 'TIMESTAMP':
      return 'TIMESTAMPTZ';
    case 'GEOGRAPHY':
      return 'VARCHAR';
    case 'JSON':
      return 'JSON';
    case 'STRUCT': {
      const fields = field.fields ?? [];
      if (!fields.length) {
        warnings.push(`${path}: a STRUCT without fields; stored as VARCHAR`);
        return 'VARCHAR';
      }
      return `STRUCT(${fields.map((f) => `${quoteName(f.name)} ${duckdbTypeInto(f, `${path}.${f.name}`, warnings)}`).join(', ')})`;
    }
    default:
      warnings.push(`${path}: BigQuery type ${field.type} has no DuckDB equivalent; stored as VARCHAR (BigQuery's text of it)`);
      return 'VARCHAR';
  }
}

function duckdbTypeInto(field: TableField, path: string, warnings: string[]): string {
  const t = duckdbType(field, path);
  warnings.push(...t.warnings);
  return t.type;
}

/** DECIMAL(38,S) for a BIGNUMERIC(P,S) with P ≤ 38; undefined when it needs more digits (an unparameterised BIGNUMERIC has 76). */
function bigNumericDecimal(field: TableField): string | undefined {
  if (field.precision === undefined || field.precision > MAX_DECIMAL_PRECISION) return undefined;
  const scale = field.scale ?? 0;
  return scale <= field.precision ? `DECIMAL(${MAX_DECIMAL_PRECISION},${scale})` : undefined;
}

/**
 * SQL turning the staged text `expr` of `field` into its DuckDB type. A scalar's text is
 * BigQuery's text of the value; a STRUCT's or a REPEATED column's is its f/v JSON
 * (`{"f":[{"v":…}]}`, `[{"v":…}]`), whose members are read with json_extract_string.
 * `depth` keeps lambda parameter names unique in nested lists.
 */
export function castSql(expr: string, field: TableField, depth = 0): string {
  if (field.mode === 'REPEATED') {
    const param = `x${depth}`;
    const inner = castSql(param, { ...field, mode: 'NULLABLE' }, depth + 1);
    const elements = `json_extract_string(${expr}, '$[*].v')`;
    return inner === param ? elements : `list_transform(${elements}, lambda ${param}: ${inner})`;
  }
  const { type } = duckdbType(field);
  switch (standardType(field.type)) {
    case 'STRING':
    case 'GEOGRAPHY':
      return expr;
    case 'BYTES':
      return `from_base64(${expr})`;
    case 'TIMESTAMP':
      // int64 microseconds (formatOptions.useInt64Timestamp), or BigQuery's float seconds.
      return `CASE WHEN regexp_full_match(${expr}, '-?[0-9]+') THEN make_timestamptz(CAST(${expr} AS BIGINT)) ELSE to_timestamp(CAST(${expr} AS DOUBLE)) END`;
    case 'STRUCT': {
      const fields = field.fields ?? [];
      if (!fields.length) return expr;
      const members = fields.map((f, i) => `${quoteName(f.name)} := ${castSql(`json_extract_string(${expr}, '$.f[${i}].v')`, f, depth)}`);
      return `CASE WHEN ${expr} IS NULL THEN NULL ELSE struct_pack(${members.join(', ')}) END`;
    }
    default:
      return type === 'VARCHAR' ? expr : /^DECIMAL/.test(type) ? decimalCast(expr, type) : `CAST(${expr} AS ${type})`;
  }
}

/**
 * Text to `DECIMAL(38,s)`. DuckDB parses text into a 38-digit decimal about a hundred times
 * slower than into an 18-digit one, so values that fit 18 digits go that way (exactly: a value
 * never has more decimals than the scale) and only wider ones take the slow cast.
 */
export function decimalCast(expr: string, type: string): string {
  const m = /^DECIMAL\((\d+),(\d+)\)$/.exec(type.replace(/\s/g, ''));
  const scale = m ? Number(m[2]) : NaN;
  if (!m || Number(m[1]) <= 18 || scale > 17) return `CAST(${expr} AS ${type})`;
  return `coalesce(CAST(TRY_CAST(${expr} AS DECIMAL(18,${scale})) AS ${type}), CAST(${expr} AS ${type}))`;
}
