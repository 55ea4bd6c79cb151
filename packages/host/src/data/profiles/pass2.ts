/**
 * Pass 2 of a profile: what needs pass 1's results, in one more aggregate query. Equal-width
 * numeric histograms (bounds from min/max), date histograms (unit from the span), exact counts
 * of the approx_top_k candidates, and exact distinct counts where the estimate is doubtful.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type { ColumnPlan } from './pass1.js';
import { lit } from './sql.js';
import type { ColumnProfile, ResolvedProfileOptions } from './types.js';
import { mapEntries, toNumber } from './values.js';

/** Approximate distinct counts up to this are recounted exactly in pass 2. */
const EXACT_RECOUNT_MAX = 100_000;

/** Adds pass-2 entries for one column (if it needs any) and a reader for their results. */
export function pass2Column(
  p: ColumnPlan,
  c: ColumnProfile,
  r: Record<string, unknown>,
  a: string,
  o: ResolvedProfileOptions,
  select: string[],
  params: DuckDBValue[],
  readers: ((row: Record<string, unknown>) => void)[],
): void {
  const x = p.expr;
  const nonNull = toNumber(r[`${a}nn`]) ?? 0;
  // DuckDB's HyperLogLog can be 10–25 % off, even for a handful of values. Columns with few
  // distinct values (cheap to count exactly: a small hash table) and columns that may be unique
  // (the unique alert needs the exact count) are recounted exactly in this pass.
  if (c.distinct_approx && nonNull > 0 && (c.distinct_count <= EXACT_RECOUNT_MAX || c.distinct_count >= nonNull * 0.85)) {
    select.push(`count(DISTINCT ${x}) AS ${a}nd_exact`);
    readers.push((row) => {
      c.distinct_count = toNumber(row[`${a}nd_exact`]) ?? c.distinct_count;
      c.distinct_approx = false;
    });
  }
  if (p.kind === 'numeric') {
    const lo = toNumber(c.min);
    const hi = toNumber(c.max);
    if (lo === null || hi === null) return;
    if (lo === hi) {
      c.histogram = [{ lower: lo, upper: hi, count: nonNull - (c.nan_count ?? 0) - (c.inf_count ?? 0) }];
      return;
    }
    // Integers spanning no more values than bins get one bin per value.
    const perValue = p.integer && hi - lo + 1 <= o.bins;
    const bins = perValue ? hi - lo + 1 : o.bins;
    const width = perValue ? 1 : (hi - lo) / bins;
    const lower = (i: number) => (perValue ? lo + i - 1 : lo + i * width);
    const upper = (i: number) => (perValue ? lo + i : i === bins - 1 ? hi : lo + (i + 1) * width);
    // DuckDB's binned histogram: a value v is counted in the first bin whose upper bound is >= v;
    // values above the last bound given (= the last bin's) land in an overflow entry, keyed last.
    const bounds = Array.from({ length: bins - 1 }, (_, i) => upper(i));
    const f = p.float ? ` FILTER (WHERE isfinite(${x}))` : '';
    select.push(`histogram(${x}::DOUBLE, [${bounds.map(lit).join(', ')}])${f} AS ${a}hist`);
    readers.push((row) => {
      const index = new Map(bounds.map((b, i) => [b, i]));
      const counts = new Array<number>(bins).fill(0);
      for (const [k, v] of mapEntries(row[`${a}hist`])) counts[index.get(Number(k)) ?? bins - 1] += toNumber(v) ?? 0;
      c.histogram = counts.map((count, i) => ({ lower: lower(i), upper: upper(i), count }));
    });
  } else if (p.kind === 'string') {
    const candidates = ((r[`${a}top`] as unknown[] | null) ?? []).filter((v): v is string => typeof v === 'string');
    if (!candidates.length) return;
    // One count_if per candidate: about twice as fast as histogram() FILTER (WHERE x IN (…)).
    candidates.forEach((v, i) => {
      select.push(`count_if(${x} = ?) AS ${a}top${i}`);
      params.push(v);
    });
    readers.push((row) => {
      c.top_values = candidates
        .map((value, i) => ({ value, count: toNumber(row[`${a}top${i}`]) ?? 0 }))
        .filter((t) => t.count > 0)
        .sort((x1, x2) => x2.count - x1.count || (x1.value < x2.value ? -1 : x1.value > x2.value ? 1 : 0))
        .slice(0, o.topK);
    });
  } else if (p.kind === 'temporal') {
    const days = toNumber(r[`${a}days`]);
    const months = toNumber(r[`${a}months`]);
    if (days === null || months === null) return;
    const unit = days <= 62 ? 'day' : months <= 120 ? 'month' : months <= 1200 ? 'year' : 'decade';
    const tt = temporalExpr(p);
    // Integer keys (days since 1970, months since year 0, years): much cheaper than formatting each value.
    const key = {
      day: `(${tt}::DATE - DATE '1970-01-01')`,
      month: `(year(${tt}) * 12 + month(${tt}) - 1)`,
      year: `year(${tt})`,
      decade: `(year(${tt}) // 10)`,
    }[unit];
    select.push(`histogram(${key}) FILTER (WHERE isfinite(${p.expr})) AS ${a}hist`);
    readers.push((row) => {
      c.histogram_unit = unit;
      c.histogram = mapEntries(row[`${a}hist`])
        .map(([k, v]) => ({ key: Number(k), count: toNumber(v) ?? 0 }))
        .sort((x1, x2) => x1.key - x2.key)
        .map(({ key: k, count }) => ({ period: periodLabel(unit, k), count }));
    });
  }
}

function periodLabel(unit: 'day' | 'month' | 'year' | 'decade', k: number): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  if (unit === 'day') return new Date(k * 86_400_000).toISOString().slice(0, 10);
  if (unit === 'month') return `${pad(Math.floor(k / 12), 4)}-${pad((k % 12 + 12) % 12 + 1)}`;
  if (unit === 'year') return pad(k, 4);
  return `${pad(k * 10, 4)}s`;
}

function temporalExpr(p: ColumnPlan): string {
  const t = p.type.toUpperCase();
  return t === 'DATE' || t === 'TIMESTAMP' || t === 'TIMESTAMP WITH TIME ZONE' ? p.expr : `${p.expr}::TIMESTAMP`;
}
