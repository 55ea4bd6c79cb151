/**
 * Pass 1 of a profile: which statistics each column gets (from its DuckDB type), the
 * SELECT-list entries that compute them all in one aggregate query, and reading that query's
 * single row back into the column profiles.
 */
import { int, quoteName } from './sql.js';
import type { ColumnKind, ColumnProfile, ResolvedProfileOptions } from './types.js';
import { cutOrNull, pct, toNumber, toScalar } from './values.js';

const PERCENTILES = [0.05, 0.25, 0.5, 0.75, 0.95];

export interface ColumnPlan {
  name: string;
  type: string;
  kind: ColumnKind;
  /** The column as an SQL expression (ENUM/JSON cast to VARCHAR). */
  expr: string;
  float: boolean;
  integer: boolean;
  decimal: boolean;
}

/** Which statistics a column gets, from its DuckDB type. */
export function planColumn(name: string, type: string): ColumnPlan {
  const t = type.toUpperCase();
  const q = quoteName(name);
  const base = { name, type, expr: q, float: false, integer: false, decimal: false };
  if (/\[\d*\]$/.test(t) || /^(STRUCT|MAP|UNION)\b/.test(t)) return { ...base, kind: 'nested' };
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(t)) return { ...base, kind: 'numeric', integer: true };
  if (/^(FLOAT|DOUBLE|REAL)$/.test(t)) return { ...base, kind: 'numeric', float: true };
  if (/^DECIMAL\b/.test(t)) return { ...base, kind: 'numeric', decimal: true };
  if (t === 'VARCHAR' || /^VARCHAR\b/.test(t)) return { ...base, kind: 'string' };
  if (/^ENUM\b/.test(t) || t === 'JSON') return { ...base, kind: 'string', expr: `${q}::VARCHAR` };
  if (t === 'BOOLEAN') return { ...base, kind: 'boolean' };
  if (t === 'DATE' || /^TIMESTAMP/.test(t)) return { ...base, kind: 'temporal' };
  return { ...base, kind: 'other' };
}

/** The SELECT-list entries of pass 1 for one column, aliased `<prefix><stat>`. */
export function pass1Columns(p: ColumnPlan, a: string, exact: boolean, topK: number, maxLen: number): string[] {
  const x = p.expr;
  const out = [`count(${x}) AS ${a}nn`, exact ? `count(DISTINCT ${x}) AS ${a}nd` : `approx_count_distinct(${x}) AS ${a}nd`];
  switch (p.kind) {
    case 'numeric': {
      const f = p.float ? ` FILTER (WHERE isfinite(${x}))` : '';
      const v = p.decimal ? `${x}::DOUBLE` : x;
      out.push(
        `min(${v})${f} AS ${a}min`,
        `max(${v})${f} AS ${a}max`,
        `avg(${x}::DOUBLE)${f} AS ${a}mean`,
        `stddev_samp(${x}::DOUBLE)${f} AS ${a}std`,
        `${exact ? 'quantile_cont' : 'approx_quantile'}(${x}::DOUBLE, [${PERCENTILES.join(', ')}])${f} AS ${a}pct`,
        `count_if(${x} = 0) AS ${a}zeros`,
      );
      if (p.float) out.push(`count_if(isnan(${x})) AS ${a}nan`, `count_if(isinf(${x})) AS ${a}inf`);
      break;
    }
    case 'string':
      out.push(
        `left(min(${x}), ${int(maxLen) + 1}) AS ${a}min`,
        `left(max(${x}), ${int(maxLen) + 1}) AS ${a}max`,
        `min(length(${x})) AS ${a}minlen`,
        `max(length(${x})) AS ${a}maxlen`,
        `avg(length(${x})) AS ${a}meanlen`,
        `count_if(${x} = '') AS ${a}empty`,
        `approx_top_k(${x}, ${int(topK)}) AS ${a}top`,
      );
      break;
    case 'boolean':
      out.push(`count_if(${x}) AS ${a}true`, `count_if(NOT ${x}) AS ${a}false`);
      break;
    case 'temporal': {
      // TIMESTAMP_S/MS/NS → TIMESTAMP for isfinite/date_trunc; DATE and TIMESTAMPTZ keep their type.
      // ±infinity dates are left out of the range (and the histogram); each aggregate is computed once.
      const lo = `min(${x}) FILTER (WHERE isfinite(${x}))`;
      const hi = `max(${x}) FILTER (WHERE isfinite(${x}))`;
      out.push(
        `${lo}::VARCHAR AS ${a}min`,
        `${hi}::VARCHAR AS ${a}max`,
        `date_diff('day', ${lo}::TIMESTAMP, ${hi}::TIMESTAMP) AS ${a}days`,
        `date_diff('month', ${lo}::TIMESTAMP, ${hi}::TIMESTAMP) AS ${a}months`,
      );
      break;
    }
    case 'other':
      if (!/^(BLOB|BIT)/.test(p.type.toUpperCase())) out.push(`min(${x})::VARCHAR AS ${a}min`, `max(${x})::VARCHAR AS ${a}max`);
      break;
    case 'nested':
      break;
  }
  return out;
}

/** The column's profile from pass 1's row; pass 2 fills in histograms and top values. */
export function readPass1(p: ColumnPlan, r: Record<string, unknown>, a: string, n: number, exact: boolean, o: ResolvedProfileOptions): ColumnProfile {
  const nn = toNumber(r[`${a}nn`]) ?? 0;
  const c: ColumnProfile = {
    name: p.name,
    type: p.type,
    kind: p.kind,
    null_count: n - nn,
    null_pct: pct(n - nn, n),
    // An estimate can exceed the number of values; never report more distinct values than values.
    distinct_count: Math.min(toNumber(r[`${a}nd`]) ?? 0, nn),
    distinct_approx: !exact,
  };
  switch (p.kind) {
    case 'numeric': {
      const q = r[`${a}pct`] as unknown[] | null;
      Object.assign(c, {
        min: toScalar(r[`${a}min`]),
        max: toScalar(r[`${a}max`]),
        mean: toNumber(r[`${a}mean`]),
        stddev: toNumber(r[`${a}std`]),
        percentiles: q ? { p5: toNumber(q[0]), p25: toNumber(q[1]), p50: toNumber(q[2]), p75: toNumber(q[3]), p95: toNumber(q[4]) } : null,
        zeros_count: toNumber(r[`${a}zeros`]) ?? 0,
      });
      if (p.float) Object.assign(c, { nan_count: toNumber(r[`${a}nan`]) ?? 0, inf_count: toNumber(r[`${a}inf`]) ?? 0 });
      c.histogram = [];
      break;
    }
    case 'string': {
      Object.assign(c, {
        min: cutOrNull(r[`${a}min`], o.maxValueLength),
        max: cutOrNull(r[`${a}max`], o.maxValueLength),
        min_length: toNumber(r[`${a}minlen`]),
        max_length: toNumber(r[`${a}maxlen`]),
        mean_length: toNumber(r[`${a}meanlen`]),
        empty_count: toNumber(r[`${a}empty`]) ?? 0,
        top_values: [],
      });
      break;
    }
    case 'boolean': {
      const t = toNumber(r[`${a}true`]) ?? 0;
      const f = toNumber(r[`${a}false`]) ?? 0;
      Object.assign(c, { min: nn ? f === 0 : null, max: nn ? t > 0 : null, true_count: t, false_count: f });
      break;
    }
    case 'temporal':
      Object.assign(c, { min: (r[`${a}min`] as string | null) ?? null, max: (r[`${a}max`] as string | null) ?? null, histogram: [] });
      break;
    case 'other':
      if (`${a}min` in r) Object.assign(c, { min: cutOrNull(r[`${a}min`], o.maxValueLength), max: cutOrNull(r[`${a}max`], o.maxValueLength) });
      break;
    case 'nested':
      break;
  }
  return c;
}
