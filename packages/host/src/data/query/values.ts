/**
 * The text of one DuckDB value, the same whatever the output format: ISO dates and timestamps
 * (DuckDB's own text only as a fallback), exact DECIMAL digits, integers that never lose a
 * digit, and nested values as plain JSON data. formats.ts turns these into JSON and CSV cells.
 */
import {
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBArrayValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampValue,
  DuckDBUnionValue,
  DuckDBVariantValue,
  type DuckDBValue,
} from '@duckdb/node-api';

export const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
export const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);

function bigintPlain(v: bigint): number | string {
  return v <= SAFE_MAX && v >= SAFE_MIN ? Number(v) : v.toString();
}

const PAD2 = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

/**
 * `YYYY-MM-DD` of a day number (days since 1970-01-01), for years 1–9999; null outside them
 * (the caller then falls back to DuckDB's own text). Howard Hinnant's civil_from_days.
 */
export function dateText(days: number): string | null {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  if (y < 1 || y > 9999) return null;
  return `${y < 1000 ? String(y).padStart(4, '0') : y}-${PAD2[m]}-${PAD2[d]}`;
}

const US_PER_DAY = 86_400_000_000;
const US_PER_DAY_BIG = 86_400_000_000n;

/** `YYYY-MM-DDTHH:MM:SS[.ffffff]` (trailing zeros of the fraction dropped) of epoch microseconds. */
export function timestampText(micros: bigint): string | null {
  let days: number;
  let rest: number;
  if (micros <= SAFE_MAX && micros >= SAFE_MIN) {
    const n = Number(micros);
    days = Math.floor(n / US_PER_DAY);
    rest = n - days * US_PER_DAY;
  } else {
    // Beyond ±285 years from 1970: split in BigInt (infinities land outside 1–9999 below).
    const d = micros / US_PER_DAY_BIG;
    days = Number(d);
    rest = Number(micros - d * US_PER_DAY_BIG);
  }
  if (rest < 0) {
    days--;
    rest += US_PER_DAY;
  } else if (rest >= US_PER_DAY) {
    days++;
    rest -= US_PER_DAY;
  }
  const date = dateText(days);
  if (date === null) return null;
  const h = Math.floor(rest / 3_600_000_000);
  rest -= h * 3_600_000_000;
  const mi = Math.floor(rest / 60_000_000);
  rest -= mi * 60_000_000;
  const sec = Math.floor(rest / 1_000_000);
  const us = rest - sec * 1_000_000;
  const time = `${date}T${PAD2[h]}:${PAD2[mi]}:${PAD2[sec]}`;
  if (!us) return time;
  let frac = String(us).padStart(6, '0');
  while (frac.endsWith('0')) frac = frac.slice(0, -1);
  return `${time}.${frac}`;
}

/** Exact decimal text (`-12.50`) of a DECIMAL value. */
export function decimalText(v: DuckDBDecimalValue): string {
  const raw = typeof v.value === 'bigint' ? v.value : BigInt(v.value);
  if (v.scale === 0) return raw.toString();
  const negative = raw < 0n;
  let digits = (negative ? -raw : raw).toString();
  if (digits.length <= v.scale) digits = '0'.repeat(v.scale - digits.length + 1) + digits;
  return `${negative ? '-' : ''}${digits.slice(0, digits.length - v.scale)}.${digits.slice(digits.length - v.scale)}`;
}

/** Day numbers of DATE 'infinity' and '-infinity' (the client library's text of them is a far year). */
const DATE_INFINITY = 2 ** 31 - 1;

export function isoDate(v: { days: number; toString(): string }): string {
  if (Math.abs(v.days) === DATE_INFINITY) return v.days > 0 ? 'infinity' : '-infinity';
  return dateText(v.days) ?? v.toString();
}

/** `2024-02-03T04:05:06.5` (DuckDB's text with a T); infinities and odd years as DuckDB writes them. */
export function isoTimestamp(v: { micros?: bigint; toString(): string }): string {
  return (typeof v.micros === 'bigint' ? timestampText(v.micros) : null) ?? v.toString().replace(' ', 'T');
}

export function isoTimestampTz(v: { micros: bigint; isFinite: boolean; toString(): string }): string {
  if (!v.isFinite) return v.toString();
  const text = timestampText(v.micros) ?? new DuckDBTimestampValue(v.micros).toString().replace(' ', 'T');
  return `${text}Z`;
}

/** A value as plain JSON data (used for nested values and NDJSON/JSON of rare types). */
export function plainJson(v: DuckDBValue): unknown {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'boolean':
    case 'string':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : String(v);
    case 'bigint':
      return bigintPlain(v);
  }
  if (v instanceof DuckDBDecimalValue) return v.toDouble();
  if (v instanceof DuckDBListValue || v instanceof DuckDBArrayValue) return v.items.map(plainJson);
  if (v instanceof DuckDBStructValue) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v.entries)) out[k] = plainJson(x);
    return out;
  }
  if (v instanceof DuckDBMapValue) {
    const out: Record<string, unknown> = {};
    for (const e of v.entries) out[typeof e.key === 'string' ? e.key : JSON.stringify(plainJson(e.key))] = plainJson(e.value);
    return out;
  }
  if (v instanceof DuckDBUnionValue || v instanceof DuckDBVariantValue) return plainJson(v.value);
  const name = (v as object).constructor?.name ?? '';
  if (name === 'DuckDBTimestampTZValue') return isoTimestampTz(v as never);
  if (name.startsWith('DuckDBTimestamp')) return isoTimestamp(v as never);
  if (name === 'DuckDBDateValue') return isoDate(v as never);
  return String(v);
}
