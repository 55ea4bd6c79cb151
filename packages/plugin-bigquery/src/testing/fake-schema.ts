// Table schemas and cells inside the fake: a fixture's TableFieldSchema list becomes canonical
// fields (the type names BigQuery's REST API reports), and each fixture value becomes a cell of
// one internal representation per type, checked as it is stored, so a bad fixture fails at
// `addTable` rather than as a strange answer later.
import { z } from 'zod';
import type { FakeField, FakeFieldMode, FakeRow, FakeValue } from './fake-model.js';
import { parseTimestampMicros } from './fake-time.js';

export type CanonicalType =
  | 'INTEGER'
  | 'FLOAT'
  | 'BOOLEAN'
  | 'RECORD'
  | 'NUMERIC'
  | 'BIGNUMERIC'
  | 'STRING'
  | 'BYTES'
  | 'DATE'
  | 'DATETIME'
  | 'TIME'
  | 'TIMESTAMP'
  | 'GEOGRAPHY'
  | 'JSON';

export interface Field {
  name: string;
  type: CanonicalType;
  mode: FakeFieldMode;
  fields?: Field[];
  description?: string;
}

/**
 * One stored value: bigint (INTEGER, TIMESTAMP as µs since the epoch), number (FLOAT), string
 * (NUMERIC/BIGNUMERIC canonical decimals, STRING, DATE, DATETIME `YYYY-MM-DDTHH:MM:SS[.f]`,
 * TIME, GEOGRAPHY, JSON text), boolean, Buffer (BYTES), an array (REPEATED elements, or a
 * RECORD's cells in field order), or null.
 */
export type Cell = null | bigint | number | string | boolean | Buffer | readonly Cell[];

const ALIASES: Record<string, CanonicalType> = { INT64: 'INTEGER', FLOAT64: 'FLOAT', BOOL: 'BOOLEAN', STRUCT: 'RECORD' };

const fieldSchema: z.ZodType<FakeField> = z.lazy(() =>
  z.object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,299}$/, 'a column name is letters, digits and underscores, not starting with a digit'),
    type: z.enum([
      'INT64',
      'INTEGER',
      'NUMERIC',
      'BIGNUMERIC',
      'FLOAT64',
      'FLOAT',
      'BOOL',
      'BOOLEAN',
      'STRING',
      'BYTES',
      'DATE',
      'DATETIME',
      'TIME',
      'TIMESTAMP',
      'GEOGRAPHY',
      'JSON',
      'STRUCT',
      'RECORD',
    ]),
    mode: z.enum(['NULLABLE', 'REQUIRED', 'REPEATED']).optional(),
    fields: z.array(fieldSchema).optional(),
    description: z.string().optional(),
  }),
);

/** Validates a fixture schema and returns it with canonical type names and explicit modes. */
export function canonicalFields(schema: readonly FakeField[], where = 'schema'): Field[] {
  const parsed = z.array(fieldSchema).min(1, 'a table has at least one column').safeParse(schema);
  if (!parsed.success) throw new Error(`${where}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  const seen = new Set<string>();
  return parsed.data.map((f) => {
    const key = f.name.toLowerCase();
    if (seen.has(key)) throw new Error(`${where}: duplicate column name ${f.name} (BigQuery column names are case-insensitive)`);
    seen.add(key);
    const type = ALIASES[f.type] ?? (f.type as CanonicalType);
    if (type === 'RECORD' && !f.fields?.length) throw new Error(`${where}: ${f.name} is a ${f.type} and needs fields`);
    if (type !== 'RECORD' && f.fields) throw new Error(`${where}: ${f.name} is a ${f.type} and cannot have fields`);
    const out: Field = { name: f.name, type, mode: f.mode ?? 'NULLABLE' };
    if (f.fields) out.fields = canonicalFields(f.fields, `${where}.${f.name}`);
    if (f.description !== undefined) out.description = f.description;
    return out;
  });
}

/** A TableFieldSchema as the REST API sends it. */
export function restField(f: Field): Record<string, unknown> {
  return {
    name: f.name,
    type: f.type,
    mode: f.mode,
    ...(f.fields ? { fields: f.fields.map(restField) } : {}),
    ...(f.description !== undefined ? { description: f.description } : {}),
  };
}

/** A fixture row as cells in schema order (a missing key is NULL; an unknown key is a mistake). */
export function rowCells(fields: readonly Field[], row: FakeRow, where: string): Cell[] {
  const known = new Set(fields.map((f) => f.name));
  for (const k of Object.keys(row)) if (!known.has(k)) throw new Error(`${where}: no column named ${k}`);
  return fields.map((f) => fieldCell(f, row[f.name], `${where}.${f.name}`));
}

/** One fixture value as a cell of its field (REPEATED and REQUIRED checked). */
export function fieldCell(f: Field, v: FakeValue, where: string): Cell {
  if (f.mode === 'REPEATED') {
    // BigQuery has no NULL arrays: a NULL array reads back as an empty one.
    if (v === null || v === undefined) return [];
    if (!Array.isArray(v)) throw new Error(`${where}: a REPEATED column takes an array`);
    return v.map((e, i) => {
      if (e === null || e === undefined) throw new Error(`${where}[${i}]: an array cannot hold NULL`);
      return scalarCell(f, e, `${where}[${i}]`);
    });
  }
  if (v === null || v === undefined) {
    if (f.mode === 'REQUIRED') throw new Error(`${where}: a REQUIRED column cannot be NULL`);
    return null;
  }
  return scalarCell(f, v, where);
}

function scalarCell(f: Field, v: NonNullable<FakeValue>, where: string): Cell {
  const bad = (what: string): never => {
    throw new Error(`${where}: a ${f.type} takes ${what}, got ${describe(v)}`);
  };
  switch (f.type) {
    case 'INTEGER': {
      const n =
        typeof v === 'bigint'
          ? v
          : typeof v === 'number' && Number.isInteger(v)
            ? BigInt(v)
            : typeof v === 'string' && /^[+-]?\d+$/.test(v)
              ? BigInt(v)
              : bad('an integer');
      if (n > 9223372036854775807n || n < -9223372036854775808n) bad('a value in the INT64 range');
      return n;
    }
    case 'FLOAT':
      return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : bad('a number');
    case 'NUMERIC':
    case 'BIGNUMERIC': {
      const text = typeof v === 'string' ? v : typeof v === 'bigint' || (typeof v === 'number' && Number.isFinite(v)) ? String(v) : bad('a decimal string');
      return canonicalDecimal(text, f.type === 'NUMERIC' ? 9 : 38) ?? bad(`a decimal with at most ${f.type === 'NUMERIC' ? 9 : 38} fractional digits`);
    }
    case 'BOOLEAN':
      return typeof v === 'boolean' ? v : bad('a boolean');
    case 'STRING':
    case 'GEOGRAPHY':
      return typeof v === 'string' ? v : bad('a string');
    case 'BYTES':
      return v instanceof Uint8Array ? Buffer.from(v) : bad('a Buffer');
    case 'JSON':
      if (typeof v !== 'string') return JSON.stringify(v);
      try {
        JSON.parse(v);
      } catch {
        bad('JSON text');
      }
      return v;
    case 'DATE':
      if (v instanceof Date) return v.toISOString().slice(0, 10);
      return typeof v === 'string' && isCivilDate(v) ? v : bad('a Date or YYYY-MM-DD');
    case 'DATETIME': {
      if (v instanceof Date) return v.toISOString().slice(0, 23);
      const m = typeof v === 'string' ? /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)$/.exec(v) : null;
      return m && isCivilDate(m[1]) && isCivilTime(m[2]) ? `${m[1]}T${m[2]}` : bad('YYYY-MM-DD[T]HH:MM:SS[.ffffff]');
    }
    case 'TIME':
      return typeof v === 'string' && isCivilTime(v) ? v : bad('HH:MM:SS[.ffffff]');
    case 'TIMESTAMP': {
      if (v instanceof Date) return BigInt(v.getTime()) * 1000n;
      return (typeof v === 'string' ? parseTimestampMicros(v) : null) ?? bad('a Date or an ISO 8601 timestamp');
    }
    case 'RECORD': {
      if (typeof v !== 'object' || Array.isArray(v) || v instanceof Date || v instanceof Uint8Array) return bad('an object');
      return rowCells(f.fields!, v as FakeRow, where);
    }
  }
}

/**
 * A converter for values already known good (a generator whose first rows passed `fieldCell`):
 * the same cells, without the checks, since a generated table converts every cell it serves.
 */
export function trustedConverter(f: Field): (v: FakeValue) => Cell {
  const scalar = trustedScalar(f);
  if (f.mode === 'REPEATED') return (v) => (Array.isArray(v) ? v.map((e) => scalar(e!)) : []);
  return (v) => (v === null || v === undefined ? null : scalar(v));
}

function trustedScalar(f: Field): (v: NonNullable<FakeValue>) => Cell {
  switch (f.type) {
    case 'INTEGER':
      return (v) => (typeof v === 'bigint' ? v : BigInt(v as number | string));
    case 'FLOAT':
      return (v) => Number(v);
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return (v) => canonicalDecimal(String(v), 38)!;
    case 'BYTES':
      return (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v as Uint8Array));
    case 'JSON':
      return (v) => (typeof v === 'string' ? v : JSON.stringify(v));
    case 'DATE':
      return (v) => (v instanceof Date ? v.toISOString().slice(0, 10) : (v as string));
    case 'DATETIME':
      return (v) => (v instanceof Date ? v.toISOString().slice(0, 23) : (v as string).replace(' ', 'T'));
    case 'TIMESTAMP':
      return (v) => (v instanceof Date ? BigInt(v.getTime()) * 1000n : parseTimestampMicros(v as string)!);
    case 'RECORD': {
      const subs = f.fields!.map((sf) => ({ name: sf.name, convert: trustedConverter(sf) }));
      return (v) => subs.map((sf) => sf.convert((v as FakeRow)[sf.name]));
    }
    default:
      // BOOLEAN, STRING, GEOGRAPHY, TIME: stored as given.
      return (v) => v as Cell;
  }
}

/** A decimal in BigQuery's canonical text (no leading or trailing zeros, no `-0`), or null if not one. */
export function canonicalDecimal(text: string, maxScale: number): string | null {
  const m = /^([+-]?)(\d+)(?:\.(\d*))?$|^([+-]?)\.(\d+)$/.exec(text.trim());
  if (!m) return null;
  const sign = m[1] ?? m[4] ?? '';
  const int = (m[2] ?? '0').replace(/^0+(?=\d)/, '');
  const frac = (m[3] ?? m[5] ?? '').replace(/0+$/, '');
  if (frac.length > maxScale) return null;
  const body = frac ? `${int}.${frac}` : int;
  return body === '0' || sign !== '-' ? body : `-${body}`;
}

function isCivilDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

function isCivilTime(s: string): boolean {
  const m = /^(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?$/.exec(s);
  return !!m && Number(m[1]) < 24 && Number(m[2]) < 60 && Number(m[3]) < 60;
}

function describe(v: unknown): string {
  if (v instanceof Date) return 'a Date';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : typeof v;
}
