/**
 * NDJSON and CSV lines built by DuckDB itself: one SQL expression per result column that gives
 * exactly the text formats.ts writes for that value, joined into one VARCHAR line per row, so
 * the engine's COPY can write the answer's bytes (see line-export.ts). Only for the types whose
 * text is proven equal (test/data/query/line-sql.test.ts); any other column type → null, and
 * the query is encoded in JavaScript as before.
 */
import { DuckDBTypeId, type DuckDBType } from '@duckdb/node-api';
import { sqlString } from '@aida/core';
import { csvText, uniqueNames, valueKind, type TextFormat } from './formats.js';

export interface LineColumn {
  name: string;
  type: DuckDBType;
}

/** A column reference as written into the generated SQL (`_aida_rows.c3`). */
type Ref = string;
/**
 * The exact text of one non-NULL cell, as a SQL expression of the value `x` and of `p`, a
 * column computed from it beforehand (`pre`), so that the cell can use it twice but it is
 * computed once. NULLs are handled by the caller.
 */
interface CellSql {
  pre?: (x: Ref) => string;
  cell: (x: Ref, p: Ref) => string;
  /**
   * The cell is a JSON string of `cell`'s text, which has nothing to escape (dates,
   * timestamps): the quotes are separate arguments of the line's concat(), so the text is not
   * copied once more to put them around it.
   */
  quoted?: boolean;
}
const plain = (cell: (x: Ref) => string): CellSql => ({ cell });

/**
 * JavaScript's `String(number)` for a DOUBLE `d`, as a SQL expression, with `nan`, `inf` and
 * `ninf` the texts of the special values. DuckDB's own text has the same shortest round-trip
 * digits but another layout (`12.0`, `1e-05`, `1e+16`): fractions in DuckDB's fixed-notation
 * range (1e-4 ≤ |x| < 1e16) are the same text, integers below 2^53 are written as integers,
 * and the rest is laid out again by `_aida_js_number`. The common case is tested first: each
 * WHEN only sees the rows the ones before it left (NaN compares above every number in DuckDB,
 * so it falls through the first two, as ±Infinity does).
 */
function jsNumber(d: string, nan: string, inf: string, ninf: string): string {
  return `CASE WHEN abs(${d}) >= 0.0001 AND abs(${d}) < 1e16 AND ${d} <> trunc(${d}) THEN ${d}::VARCHAR
    WHEN ${d} = trunc(${d}) AND abs(${d}) < 9007199254740992 THEN ${d}::BIGINT::VARCHAR
    WHEN isnan(${d}) THEN ${nan} WHEN isinf(${d}) THEN CASE WHEN ${d} > 0 THEN ${inf} ELSE ${ninf} END
    ELSE _aida_js_number(${d}) END`;
}

/**
 * Temporary macros the generated lines use (created on the scratch instance before the COPY;
 * their `_aida_` names are on no allow-list, so a checked query cannot call them).
 * `_aida_js_number`: a finite DOUBLE laid out as JavaScript does (`Number.prototype.toString`):
 * digits `d` and decimal point position `n` read from DuckDB's text, then fixed notation for
 * -6 < n ≤ 21 and `d.ddde±x` otherwise. Only rare values (tiny, huge) reach it.
 */
export const LINE_MACROS = [
  `CREATE OR REPLACE TEMP MACRO _aida_js_layout(neg, d, n) AS
    (CASE WHEN neg THEN '-' ELSE '' END) || CASE
      WHEN length(d) <= n AND n <= 21 THEN d || repeat('0', (n - length(d))::INTEGER)
      WHEN 0 < n AND n <= 21 THEN left(d, n::INTEGER) || '.' || substr(d, (n + 1)::INTEGER)
      WHEN -6 < n AND n <= 0 THEN '0.' || repeat('0', (-n)::INTEGER) || d
      ELSE left(d, 1) || CASE WHEN length(d) > 1 THEN '.' || substr(d, 2) ELSE '' END
        || 'e' || CASE WHEN n - 1 >= 0 THEN '+' ELSE '-' END || abs(n - 1)::VARCHAR
    END`,
  // Digits without leading/trailing zeros, and where the point goes, of DuckDB's text `t` (no sign).
  `CREATE OR REPLACE TEMP MACRO _aida_js_parts(neg, t) AS
    CASE WHEN contains(t, 'e')
      THEN _aida_js_layout(neg, rtrim(replace(split_part(t, 'e', 1), '.', ''), '0'), split_part(t, 'e', 2)::INTEGER + 1)
      ELSE _aida_js_layout(neg,
        rtrim(ltrim(replace(t, '.', ''), '0'), '0'),
        length(split_part(t, '.', 1)) - (length(replace(t, '.', '')) - length(ltrim(replace(t, '.', ''), '0'))))
    END`,
  `CREATE OR REPLACE TEMP MACRO _aida_js_number(x) AS _aida_js_parts(x < 0, ltrim(x::VARCHAR, '-'))`,
];

const SAFE = '9007199254740991';

/** COPY options that write each line as it is: one column, no quoting, no header, `\n` after each. */
export const RAW_LINES = "(FORMAT csv, HEADER false, QUOTE '', ESCAPE '', USE_TMP_FILE false)";

/** The code points JavaScript's `String.prototype.trim` removes (csvText quotes a field that has them at an end). */
const JS_SPACE = [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff].join(', ');

/**
 * JSON.stringify of a string, from `j`, its to_json. DuckDB's to_json escapes the same
 * characters the same way except that it writes the hex digits of `\u000B`, `\u000E`, `\u000F`,
 * `\u001A`…`\u001F` in upper case. Texts with a `\u00` escape are fixed up, escaped backslashes
 * set aside first (as a control character, which to_json never leaves raw) so that `\\u001F` —
 * a backslash, then text — stays as it is.
 */
function jsonString(j: string): string {
  const upper = ['0B', '0E', '0F', '1A', '1B', '1C', '1D', '1E', '1F'];
  let fixed = `replace(${j}, '\\\\', chr(1))`;
  for (const h of upper) fixed = `replace(${fixed}, '\\u00${h}', '\\u00${h.toLowerCase()}')`;
  fixed = `replace(${fixed}, chr(1), '\\\\')`;
  return `CASE WHEN contains(${j}, '\\u00') THEN ${fixed} ELSE ${j} END`;
}

/**
 * csvText: quoted (quotes doubled) when empty, holding `",\r\n`, or with white space at an end
 * (the code point of its first and of its last character). Plain tests rather than one regular
 * expression: a third of the cost on short strings.
 */
function csvString(x: string): string {
  const needs = [`${x} = ''`, ...["'\"'", "','", 'chr(10)', 'chr(13)'].map((c) => `contains(${x}, ${c})`), `ascii(${x}) IN (${JS_SPACE})`, `ascii(right(${x}, 1)) IN (${JS_SPACE})`];
  return `CASE WHEN ${needs.join(' OR ')} THEN '"' || replace(${x}, '"', '""') || '"' ELSE ${x} END`;
}

/**
 * DuckDB's text of a timestamp with its first space made a `T` (years 1–9999 as formats.ts
 * writes them). Years 1000–9999 have one space; others (BC, beyond 9999) may have two.
 */
const isoText = (x: string) =>
  `CASE WHEN ${x} BETWEEN TIMESTAMP '1000-01-01' AND TIMESTAMP '9999-12-31 23:59:59.999999' THEN replace(${x}::VARCHAR, ' ', 'T') ELSE regexp_replace(${x}::VARCHAR, ' ', 'T') END`;
/** A TIMESTAMPTZ as UTC text with `Z`, whatever the instance's time zone; infinities as DuckDB writes them. */
const isoTz = (x: string) => `CASE WHEN isinf(${x}) THEN ${x}::VARCHAR ELSE ${isoText(`make_timestamp(epoch_us(${x}))`)} || 'Z' END`;

type Kind = 'boolean' | 'integer' | 'double' | 'bigint' | 'ubigint' | 'decimal' | 'string' | 'enum' | 'date' | 'timestamp' | 'timestamptz';

/**
 * The column types lines are built for: formats.ts's families, told apart further where the
 * SQL differs (others have text only JavaScript gives exactly: nested values, TIME, BLOB…).
 */
function kindOf(type: DuckDBType): Kind | null {
  const id = type.typeId;
  switch (valueKind(type)) {
    case 'boolean':
    case 'decimal':
    case 'timestamptz':
    case 'date':
      return valueKind(type) as Kind;
    case 'number':
      return id === DuckDBTypeId.FLOAT || id === DuckDBTypeId.DOUBLE ? 'double' : 'integer';
    case 'bigint':
      return id === DuckDBTypeId.UBIGINT || id === DuckDBTypeId.UHUGEINT ? 'ubigint' : 'bigint';
    case 'string':
      return id === DuckDBTypeId.ENUM ? 'enum' : 'string';
    // TIMESTAMP_S/_MS/_NS are written from the client library's text of them.
    case 'timestamp':
      return id === DuckDBTypeId.TIMESTAMP ? 'timestamp' : null;
    default:
      return null;
  }
}

const JSON_SQL: Record<Kind, CellSql> = {
  boolean: plain((x) => `CASE WHEN ${x} THEN 'true' ELSE 'false' END`),
  integer: plain((x) => `${x}::VARCHAR`),
  // NaN and ±Infinity as strings, as formats.ts writes them.
  double: plain((x) => jsNumber(`${x}::DOUBLE`, `'"NaN"'`, `'"Infinity"'`, `'"-Infinity"'`)),
  // Numbers while a JS number holds them exactly, decimal strings beyond.
  bigint: plain((x) => `CASE WHEN ${x} BETWEEN -${SAFE} AND ${SAFE} THEN ${x}::VARCHAR ELSE '"' || ${x}::VARCHAR || '"' END`),
  ubigint: plain((x) => `CASE WHEN ${x} <= ${SAFE} THEN ${x}::VARCHAR ELSE '"' || ${x}::VARCHAR || '"' END`),
  // DuckDB's text of a DECIMAL is decimalText's exact digits, written as a JSON number.
  decimal: plain((x) => `${x}::VARCHAR`),
  string: { pre: (x) => `to_json(${x})`, cell: (_, p) => jsonString(p) },
  enum: { pre: (x) => `to_json(${x}::VARCHAR)`, cell: (_, p) => jsonString(p) },
  date: { cell: (x) => `${x}::VARCHAR`, quoted: true },
  timestamp: { cell: isoText, quoted: true },
  timestamptz: { cell: isoTz, quoted: true },
};

const CSV_SQL: Record<Kind, CellSql> = {
  boolean: JSON_SQL.boolean,
  integer: JSON_SQL.integer,
  double: plain((x) => jsNumber(`${x}::DOUBLE`, "'NaN'", "'Infinity'", "'-Infinity'")),
  bigint: plain((x) => `${x}::VARCHAR`),
  ubigint: plain((x) => `${x}::VARCHAR`),
  decimal: plain((x) => `${x}::VARCHAR`),
  string: plain(csvString),
  enum: plain((x) => csvString(`${x}::VARCHAR`)),
  date: plain((x) => `${x}::VARCHAR`),
  timestamp: plain(isoText),
  timestamptz: plain(isoTz),
};

/** The SQL of the lines of a result, and the text that goes before them (the CSV header). */
export interface LinePlan {
  format: Exclude<TextFormat, 'json'>;
  /** `SELECT concat(<cells>) FROM (SELECT *, <pre> FROM (<query>) AS _aida_rows(c0, c1, …))`. */
  select: string;
  header: string;
}

/**
 * The lines of `query` (a checked, enclosed SELECT with these columns) in `format`, or null
 * when a column has a type this file does not write (the caller then encodes in JavaScript).
 */
export function linePlan(format: Exclude<TextFormat, 'json'>, query: string, columns: readonly LineColumn[]): LinePlan | null {
  if (!columns.length) return null;
  const kinds = columns.map((c) => kindOf(c.type));
  if (kinds.some((k) => k === null)) return null;
  if (columns.some((c) => c.name.includes('\0'))) return null;
  const cells = format === 'csv' ? CSV_SQL : JSON_SQL;
  const nullText = format === 'csv' ? "''" : "'null'";
  const keys = uniqueNames(columns.map((c) => c.name));
  const pre: string[] = [];
  // One concat() per line: a chain of || would copy the line once per column.
  const parts: string[] = [];
  kinds.forEach((k, i) => {
    const sql = cells[k!];
    const x = `_aida_rows.c${i}`;
    if (sql.pre) pre.push(`${sql.pre(x)} AS p${i}`);
    const text = sql.cell(`c${i}`, `p${i}`);
    if (format === 'ndjson') parts.push(sqlString(`${i ? ',' : '{'}${JSON.stringify(keys[i])}:`));
    else if (i) parts.push("','");
    // concat() skips NULL arguments: the closing quote is there only when the value is.
    if (sql.quoted) parts.push(`CASE WHEN c${i} IS NULL THEN ${nullText} ELSE '"' END`, `CASE WHEN c${i} IS NOT NULL THEN ${text} END`, `CASE WHEN c${i} IS NOT NULL THEN '"' END`);
    else parts.push(`CASE WHEN c${i} IS NULL THEN ${nullText} ELSE ${text} END`);
  });
  if (format === 'ndjson') parts.push("'}'");
  const aliases = columns.map((_, i) => `c${i}`).join(', ');
  const rows = `SELECT ${['*', ...pre].join(', ')} FROM (\n${query}\n) AS _aida_rows(${aliases})`;
  return {
    format,
    select: `SELECT concat(${parts.join(', ')}) AS line FROM (${rows}) AS _aida_cells`,
    header: format === 'csv' ? `${columns.map((c) => csvText(c.name)).join(',')}\n` : '',
  };
}
