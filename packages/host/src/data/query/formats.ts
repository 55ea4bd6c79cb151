/**
 * The output formats of a query: their content types and how result chunks are written as
 * JSON, NDJSON or CSV text, cell by cell (the value texts themselves come from values.ts).
 */
import {
  DuckDBTypeId,
  type DuckDBDataChunk,
  type DuckDBDecimalValue,
  type DuckDBResult,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { SAFE_MAX, SAFE_MIN, decimalText, isoDate, isoTimestamp, isoTimestampTz, plainJson } from './values.js';

export { dateText, decimalText, plainJson, timestampText } from './values.js';

/**
 * How query results are written. Values, the same in every text format:
 * - BOOLEAN → true/false; integers and floats → numbers (NaN/±Infinity → the strings "NaN",
 *   "Infinity", "-Infinity" in JSON);
 * - BIGINT/UBIGINT/HUGEINT/UHUGEINT → numbers when they fit a JS number exactly, decimal
 *   strings otherwise (so no digit is ever lost);
 * - DECIMAL → JSON numbers written with the exact digits (`12.50`; JSON.parse reads a double);
 *   CSV has the exact text;
 * - DATE → `2024-02-03`; TIMESTAMP → `2024-02-03T04:05:06[.ffffff]` (no zone: it has none);
 *   TIMESTAMPTZ → `2024-02-03T02:05:06[.ffffff]Z` (UTC); infinite values → "infinity";
 * - LIST/ARRAY → arrays, STRUCT → objects, MAP → objects keyed by the key's text, UNION →
 *   its value (in CSV these are JSON text);
 * - everything else (TIME, INTERVAL, UUID, BLOB, BIT, ENUM…) → DuckDB's text form.
 */
export type TextFormat = 'json' | 'ndjson' | 'csv';
export type Format = TextFormat | 'parquet';

export const CONTENT_TYPES: Record<Format, string> = {
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
  parquet: 'application/vnd.apache.parquet',
};

export interface ColumnInfo {
  name: string;
  type: string;
}

/** Turns a cell that is not NULL into its text in the output. */
type Cell = (v: DuckDBValue) => string;

const numberJson: Cell = (v) => (Number.isFinite(v as number) ? String(v) : `"${String(v)}"`);
const bigintJson: Cell = (v) => {
  const b = v as bigint;
  return b <= SAFE_MAX && b >= SAFE_MIN ? b.toString() : `"${b.toString()}"`;
};

/**
 * The families of DuckDB types, as every text format tells them apart: each format writes a
 * family one way (its `Cell` in JSON_CELLS or CSV_CELLS), so the formats cannot disagree on
 * which types belong together.
 */
export type ValueKind = 'boolean' | 'number' | 'bigint' | 'decimal' | 'string' | 'date' | 'timestamp' | 'timestamptz' | 'nested' | 'other';

export function valueKind(type: DuckDBType): ValueKind {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return 'boolean';
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return 'number';
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return 'bigint';
    case DuckDBTypeId.DECIMAL:
      return 'decimal';
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.ENUM:
      return 'string';
    case DuckDBTypeId.DATE:
      return 'date';
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return 'timestamp';
    case DuckDBTypeId.TIMESTAMP_TZ:
      return 'timestamptz';
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
    case DuckDBTypeId.STRUCT:
    case DuckDBTypeId.MAP:
    case DuckDBTypeId.UNION:
    case DuckDBTypeId.VARIANT:
      return 'nested';
    default:
      return 'other';
  }
}

const booleanText: Cell = (v) => (v ? 'true' : 'false');
const decimalCell: Cell = (v) => decimalText(v as DuckDBDecimalValue);
const plainJsonText: Cell = (v) => JSON.stringify(plainJson(v));

const JSON_CELLS: Record<ValueKind, Cell> = {
  boolean: booleanText,
  number: numberJson,
  bigint: bigintJson,
  // Exact digits as a JSON number literal (`-12.50`).
  decimal: decimalCell,
  string: (v) => JSON.stringify(v),
  date: (v) => `"${isoDate(v as never)}"`,
  timestamp: (v) => `"${isoTimestamp(v as never)}"`,
  timestamptz: (v) => `"${isoTimestampTz(v as never)}"`,
  nested: plainJsonText,
  other: plainJsonText,
};

/** RFC 4180 quoting: only when the text needs it. An empty string is `""`, NULL is empty. */
export function csvText(s: string): string {
  return s === '' || /[",\r\n]/.test(s) || s.trim() !== s ? `"${s.replace(/"/g, '""')}"` : s;
}

const CSV_CELLS: Record<ValueKind, Cell> = {
  boolean: booleanText,
  number: (v) => String(v),
  bigint: (v) => String(v),
  decimal: decimalCell,
  string: (v) => csvText(v as string),
  date: (v) => isoDate(v as never),
  timestamp: (v) => isoTimestamp(v as never),
  timestamptz: (v) => isoTimestampTz(v as never),
  nested: (v) => csvText(JSON.stringify(plainJson(v))),
  other: (v) => csvText(String(plainJson(v))),
};

/** Duplicate names made unique the way DuckDB's COPY does it: a, a_1, a_2. */
export function uniqueNames(names: readonly string[]): string[] {
  const taken = new Set(names);
  const seen = new Set<string>();
  return names.map((n) => {
    if (!seen.has(n)) {
      seen.add(n);
      return n;
    }
    let i = 1;
    while (taken.has(`${n}_${i}`)) i++;
    const unique = `${n}_${i}`;
    taken.add(unique);
    seen.add(unique);
    return unique;
  });
}

/** Column names and types of a result, as the JSON response lists them. */
export function columnsOf(result: DuckDBResult): ColumnInfo[] {
  const out: ColumnInfo[] = [];
  for (let i = 0; i < result.columnCount; i++) out.push({ name: result.columnName(i), type: result.columnType(i).toString() });
  return out;
}

/**
 * Writes the rows of result chunks as text. One encoder per result; `encode` is called per
 * chunk, so only one chunk's text is ever held at a time by the streaming formats.
 */
export class ChunkEncoder {
  private readonly cells: Cell[];
  /** NDJSON: `"name":` per column (duplicate names made unique the way DuckDB does: a, a_1). */
  private readonly keys: string[];

  constructor(
    readonly format: TextFormat,
    private readonly result: DuckDBResult,
  ) {
    const types = result.columnTypes();
    const cells = format === 'csv' ? CSV_CELLS : JSON_CELLS;
    this.cells = types.map((t) => cells[valueKind(t)]);
    this.keys = format === 'ndjson' ? uniqueNames(result.columnNames()).map((n) => `${JSON.stringify(n)}:`) : [];
  }

  /** CSV: the header line; other formats have none. */
  header(): string {
    if (this.format !== 'csv') return '';
    return `${this.result.columnNames().map(csvText).join(',')}\n`;
  }

  /**
   * The first `count` rows of the chunk: JSON `[…],[…]` (no surrounding brackets, rows
   * separated by commas), NDJSON one object per line, CSV one line per row.
   */
  encode(chunk: DuckDBDataChunk, count = chunk.rowCount): string {
    if (count <= 0) return '';
    const width = this.cells.length;
    const nullText = this.format === 'csv' ? '' : 'null';
    // Column by column (each loop sees one vector type and one encoder), then rows joined:
    // joining arrays builds each string once, where `+=` would leave chains for the GC.
    const columns: string[][] = new Array(width);
    for (let c = 0; c < width; c++) {
      const vector = chunk.getColumnVector(c);
      const cell = this.cells[c];
      const prefix = this.format === 'ndjson' ? this.keys[c] : '';
      const texts: string[] = new Array(count);
      for (let r = 0; r < count; r++) {
        const v = vector.getItem(r);
        texts[r] = prefix + (v === null ? nullText : cell(v));
      }
      columns[c] = texts;
    }
    const lines: string[] = new Array(count);
    const row: string[] = new Array(width);
    for (let r = 0; r < count; r++) {
      for (let c = 0; c < width; c++) row[c] = columns[c][r];
      const joined = row.join(',');
      lines[r] = this.format === 'json' ? `[${joined}]` : this.format === 'ndjson' ? `{${joined}}` : joined;
    }
    return this.format === 'json' ? lines.join(',') : `${lines.join('\n')}\n`;
  }
}
