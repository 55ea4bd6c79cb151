/**
 * Conversion of the values DuckDB returns (bigints, maps, long strings) into what a profile
 * holds: JSON-safe numbers, exact scalars, cut strings and rounded percentages.
 */

/** A number for JSON: bigints converted, NaN/Infinity (which JSON cannot hold) become null. */
export function toNumber(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

/** A min/max value: integers beyond 2^53 stay exact as decimal strings. */
export function toScalar(v: unknown): number | string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  return String(v);
}

/** The entries of a DuckDB MAP, whichever JS form the client returned it in. */
export function mapEntries(v: unknown): [unknown, unknown][] {
  if (!v) return [];
  if (Array.isArray(v)) return v.map((e) => [(e as { key: unknown }).key, (e as { value: unknown }).value]);
  if (v instanceof Map) return [...v.entries()];
  return Object.entries(v as Record<string, unknown>);
}

export function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

export function cutOrNull(v: unknown, max: number): string | null {
  return v === null || v === undefined ? null : cut(String(v), max);
}

/** `part` as a percentage of `whole`, two decimals (0 when `whole` is 0). */
export function pct(part: number, whole: number): number {
  return whole ? Math.round((part / whole) * 10000) / 100 : 0;
}
