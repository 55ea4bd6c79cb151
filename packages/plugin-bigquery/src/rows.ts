// BigQuery's f/v row encoding (`{ f: [{ v }] }`: a cell's `v` is text or null, `{ f: [...] }`
// for a STRUCT, a list of `{ v }` for REPEATED), decoded once per schema into a function per
// column that makes the values of the remote API (what JSON can carry without loss).
// Materialized rows are never decoded in JavaScript: see page-text.ts.
import type { Cell, Row, TableField } from './api-types.js';
import { standardType } from './types.js';

type Decode = (v: unknown) => unknown;

/** Decodes cells of `field`; `leaf` turns one scalar's text into the value wanted. */
function decoder(field: TableField, leaf: (field: TableField) => Decode): Decode {
  const element = elementDecoder(field, leaf);
  if (field.mode !== 'REPEATED') return element;
  return (v) => (Array.isArray(v) ? (v as Cell[]).map((c) => element(c?.v ?? null)) : v === null || v === undefined ? null : []);
}

function elementDecoder(field: TableField, leaf: (field: TableField) => Decode): Decode {
  if (standardType(field.type) !== 'STRUCT' || !field.fields?.length) return leaf(field);
  const members = field.fields.map((f) => ({ name: f.name, decode: decoder(f, leaf) }));
  return (v) => {
    const cells = (v as { f?: Cell[] } | null)?.f;
    if (!Array.isArray(cells)) return null;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < members.length; i++) out[members[i].name] = members[i].decode(cells[i]?.v ?? null);
    return out;
  };
}

const asText: Decode = (v) => (v === null || v === undefined ? null : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));

/**
 * Rows as arrays of JSON-safe values: INT64 as a number when it is exact (beyond 2^53 as text),
 * FLOAT64 as a number (NaN and infinities as text), BOOL as a boolean, TIMESTAMP as ISO 8601 UTC,
 * NUMERIC, BIGNUMERIC and the other types as BigQuery's text, STRUCT as an object, REPEATED as a list.
 */
export function jsonDecoder(fields: readonly TableField[]): (row: Row) => unknown[] {
  const columns = fields.map((f) => decoder(f, jsonLeaf));
  return (row) => columns.map((decode, i) => decode(row.f[i]?.v ?? null));
}

function jsonLeaf(field: TableField): Decode {
  switch (standardType(field.type)) {
    case 'INT64':
      return (v) => {
        if (v === null || v === undefined) return null;
        const n = Number(v);
        return Number.isSafeInteger(n) ? n : String(v);
      };
    case 'FLOAT64':
      return (v) => {
        if (v === null || v === undefined) return null;
        const n = Number(v);
        return Number.isFinite(n) ? n : String(v);
      };
    case 'BOOL':
      return (v) => (v === null || v === undefined ? null : v === true || v === 'true');
    case 'TIMESTAMP':
      return (v) => (v === null || v === undefined ? null : isoTimestamp(String(v)));
    default:
      return asText;
  }
}

/** `2024-05-01T08:00:00.123456Z` of BigQuery's int64 microseconds (or float seconds); trailing zeros of the fraction dropped. */
export function isoTimestamp(text: string): string {
  const micros = /^-?\d+$/.test(text) ? BigInt(text) : BigInt(Math.round(Number(text) * 1e6));
  let seconds = micros / 1_000_000n;
  let fraction = micros % 1_000_000n;
  if (fraction < 0n) {
    fraction += 1_000_000n;
    seconds -= 1n;
  }
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  if (fraction === 0n) return `${base}Z`;
  return `${base}.${fraction.toString().padStart(6, '0').replace(/0+$/, '')}Z`;
}
