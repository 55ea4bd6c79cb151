// What the fake does with cells: writes them in the REST API's f/v row encoding
// (https://cloud.google.com/bigquery/docs/reference/rest/v2/tabledata/list: every scalar is a
// string, NULL is `{"v": null}`, an array is `{"v": [{"v": …}, …]}`, a record `{"v": {"f": [...]}}`),
// sizes them by BigQuery's data size rules (https://cloud.google.com/bigquery/pricing#data),
// and orders them as GoogleSQL does.
import type { CanonicalType, Cell, Field } from './fake-schema.js';
import { formatTimestamp, javaDouble, type TimestampFormat } from './fake-time.js';

/**
 * A row in the f/v encoding, as JSON text: pages of rows run to 10 MB, and writing the text
 * directly costs a fraction of building objects and serialising them.
 */
export function rowJson(fields: readonly Field[], cells: readonly Cell[], ts: TimestampFormat): string {
  // join() makes one flat string per row; `+=` would leave a tree of fragments for the GC to chase.
  const parts = new Array<string>(fields.length);
  for (let i = 0; i < fields.length; i++) parts[i] = `{"v":${valueJson(fields[i], cells[i], ts)}}`;
  return `{"f":[${parts.join(',')}]}`;
}

function valueJson(f: Field, cell: Cell, ts: TimestampFormat): string {
  if (f.mode !== 'REPEATED') return scalarJson(f, cell, ts);
  return `[${(cell as readonly Cell[]).map((c) => `{"v":${scalarJson(f, c, ts)}}`).join(',')}]`;
}

function scalarJson(f: Field, cell: Cell, ts: TimestampFormat): string {
  if (cell === null) return 'null';
  switch (f.type) {
    case 'RECORD':
      return rowJson(f.fields!, cell as readonly Cell[], ts);
    case 'FLOAT':
      return `"${javaDouble(cell as number)}"`;
    case 'BOOLEAN':
      return cell ? '"true"' : '"false"';
    case 'BYTES':
      return `"${(cell as Buffer).toString('base64')}"`;
    case 'TIMESTAMP':
      return `"${formatTimestamp(cell as bigint, ts)}"`;
    case 'STRING':
    case 'GEOGRAPHY':
    case 'JSON':
      return JSON.stringify(cell);
    default:
      // INT64, NUMERIC, BIGNUMERIC, DATE, DATETIME, TIME: digits and punctuation, nothing to escape.
      return `"${String(cell)}"`;
  }
}

/** Bytes a cell occupies by BigQuery's data size calculation (NULL is 0, as for nullable columns). */
export function cellBytes(f: Field, cell: Cell): number {
  if (cell === null) return 0;
  if (f.mode === 'REPEATED') return (cell as readonly Cell[]).reduce<number>((n, c) => n + scalarBytes(f, c), 0);
  return scalarBytes(f, cell);
}

function scalarBytes(f: Field, cell: Cell): number {
  switch (f.type) {
    case 'BOOLEAN':
      return 1;
    case 'NUMERIC':
      return 16;
    case 'BIGNUMERIC':
      return 32;
    case 'STRING':
      return 2 + Buffer.byteLength(cell as string);
    case 'BYTES':
      return 2 + (cell as Buffer).length;
    case 'JSON':
      return Buffer.byteLength(cell as string);
    case 'GEOGRAPHY':
      // 16 bytes plus 24 per vertex; a WKT vertex is one coordinate pair.
      return 16 + 24 * ((cell as string).match(/-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\s+-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g)?.length ?? 0);
    case 'RECORD':
      return f.fields!.reduce((n, sf, i) => n + cellBytes(sf, (cell as readonly Cell[])[i]), 0);
    default:
      // INT64, FLOAT64, DATE, DATETIME, TIME, TIMESTAMP
      return 8;
  }
}

/** Types a comparison or ORDER BY may use; the others (arrays aside) GoogleSQL cannot order. */
export function isOrderable(f: Field): boolean {
  return f.mode !== 'REPEATED' && !['RECORD', 'GEOGRAPHY', 'JSON'].includes(f.type);
}

/** Orders two non-null cells of one type (NaN below every other FLOAT64, as ORDER BY puts it). */
export function compareCells(type: CanonicalType, a: Cell, b: Cell): number {
  switch (type) {
    case 'INTEGER':
    case 'TIMESTAMP':
      return a === b ? 0 : (a as bigint) < (b as bigint) ? -1 : 1;
    case 'FLOAT': {
      const x = a as number;
      const y = b as number;
      if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : -1) : 1;
      return x === y ? 0 : x < y ? -1 : 1;
    }
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return compareDecimal(a as string, b as string);
    case 'BOOLEAN':
      return Number(a) - Number(b);
    case 'BYTES':
      return Buffer.compare(a as Buffer, b as Buffer);
    default:
      // STRING, DATE, DATETIME, TIME: their canonical text sorts as the values do.
      return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
  }
}

/** Compares two decimal texts exactly (scaled to 38 fractional digits). */
export function compareDecimal(a: string, b: string): number {
  const x = scaled(a);
  const y = scaled(b);
  return x === y ? 0 : x < y ? -1 : 1;
}

function scaled(text: string): bigint {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text)!;
  let digits = `${m[2] || '0'}${(m[3] ?? '').padEnd(38, '0').slice(0, 38)}`;
  const exp = Number(m[4] ?? '0');
  if (exp > 0) digits = digits + '0'.repeat(exp);
  else if (exp < 0) digits = digits.slice(0, Math.max(1, digits.length + exp));
  const v = BigInt(digits);
  return m[1] === '-' ? -v : v;
}
