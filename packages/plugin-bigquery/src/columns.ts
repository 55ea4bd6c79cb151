// A materialized table's columns: the DuckDB type of each, the SELECT that reads the staged
// pages into those types, and the one type decided by the data — a BIGNUMERIC whose schema
// gives no precision is DECIMAL(38,x) when its values fit in 38 digits with x decimals, and
// text otherwise (with a warning), since DuckDB's decimals stop at 38 digits.
import { queryRows, sqlString, type ExtractWriter } from '@aida/core';
import type { TableField } from './api-types.js';
import { castSql, decimalCast, duckdbType, quoteName, standardType } from './types.js';

export interface ColumnPlan {
  field: TableField;
  /** DuckDB type; undefined: decided from the data (an unbounded top-level BIGNUMERIC). */
  type: string | undefined;
  warnings: string[];
}

export function planColumns(fields: readonly TableField[]): ColumnPlan[] {
  return fields.map((field) => {
    const mapped = duckdbType(field);
    const unbounded = standardType(field.type) === 'BIGNUMERIC' && field.mode !== 'REPEATED' && mapped.type === 'VARCHAR';
    return unbounded ? { field, type: undefined, warnings: [] } : { field, type: mapped.type, warnings: mapped.warnings };
  });
}

/**
 * `read_json` of the staged pages (NDJSON, column i under `c<i>`; every cell read as text), or
 * no rows at all.
 */
export function stagedSource(columns: readonly ColumnPlan[], files: readonly string[]): string {
  if (!files.length) return `(SELECT ${columns.map((_, i) => `CAST(NULL AS VARCHAR) AS c${i}`).join(', ')} WHERE false)`;
  const types = columns.map((_, i) => `${sqlString(`c${i}`)}: 'VARCHAR'`).join(', ');
  // A row may be large (long strings, big arrays); DuckDB's default object limit is 16 MB.
  return `read_json([${files.map(sqlString).join(', ')}], format = 'newline_delimited', records = true, columns = {${types}}, maximum_object_size = 268435456)`;
}

/** The SELECT of the staged rows in their DuckDB types; `decided` gives the types the data chose. */
export function typedSelect(
  columns: readonly ColumnPlan[],
  source: string,
  decided: ReadonlyMap<number, string> = new Map(),
  orderBy: readonly string[] = [],
): string {
  const list = columns.map((c, i) => {
    const type = c.type ?? decided.get(i) ?? 'VARCHAR';
    const expr = c.type ? castSql(`c${i}`, c.field) : type === 'VARCHAR' ? `c${i}` : decimalCast(`c${i}`, type);
    return `${expr} AS ${quoteName(c.field.name)}`;
  });
  const order = orderBy.length ? ` ORDER BY ${orderBy.map(quoteName).join(', ')}` : '';
  return `SELECT ${list.join(', ')} FROM ${source}${order}`;
}

/**
 * Types for the columns whose type the data decides. `stored` is the type the table's current
 * file has for a column (a merge keeps it when the batch fits, so the table keeps one type);
 * a batch that fits no DECIMAL is text, which every decimal converts to without loss.
 */
export async function decideTypes(
  conn: ExtractWriter['connection'],
  columns: readonly ColumnPlan[],
  source: string,
  stored: ReadonlyMap<string, string> = new Map(),
): Promise<{ types: Map<number, string>; warnings: string[] }> {
  const types = new Map<number, string>();
  const warnings: string[] = [];
  const dynamic = columns.flatMap((c, i) => (c.type === undefined ? [{ c, i }] : []));
  if (!dynamic.length) return { types, warnings };
  const probes = dynamic.map(({ i }) => {
    const v = `c${i}`;
    return [
      `coalesce(max(length(regexp_extract(${v}, '^-?0*([0-9]*)', 1))), 0) AS i${i}`,
      `coalesce(max(length(regexp_extract(${v}, '\\.([0-9]*)$', 1))), 0) AS f${i}`,
      `coalesce(bool_or(NOT regexp_full_match(${v}, '-?[0-9]+(\\.[0-9]+)?')), false) AS odd${i}`,
    ].join(', ');
  });
  const [row] = await queryRows<Record<string, number | boolean>>(conn, `SELECT ${probes.join(', ')} FROM ${source}`);
  for (const { c, i } of dynamic) {
    const intDigits = Number(row[`i${i}`]);
    const scale = Number(row[`f${i}`]);
    const fits = !row[`odd${i}`] && intDigits + scale <= 38;
    const previous = stored.get(c.field.name);
    const kept = previous && decimalHolds(previous, intDigits, scale);
    if (kept && fits) types.set(i, previous);
    else if (fits && !previous) types.set(i, `DECIMAL(38,${scale})`);
    else {
      types.set(i, 'VARCHAR');
      if (!fits)
        warnings.push(`${c.field.name}: BIGNUMERIC values need more than 38 digits (${intDigits} before and ${scale} after the point); stored as VARCHAR`);
    }
  }
  return { types, warnings };
}

/** Whether DuckDB type `type` (as DESCRIBE writes it) is a DECIMAL holding `intDigits` and `scale` digits. */
function decimalHolds(type: string, intDigits: number, scale: number): boolean {
  const m = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(type);
  return !!m && scale <= Number(m[2]) && intDigits <= Number(m[1]) - Number(m[2]);
}
