/**
 * The alert rules of a profile (missing values, constant, unique, zeros, imbalance, high
 * cardinality): judgements on the finished column statistics, no query of their own.
 */
import type { AlertThresholds, ColumnProfile, ProfileAlert } from './types.js';
import { pct } from './values.js';

/** Alerts from the statistics; ratios are of the profiled rows (the sample when sampled). */
export function alertsFor(columns: readonly ColumnProfile[], n: number, t: AlertThresholds): ProfileAlert[] {
  const out: ProfileAlert[] = [];
  if (n === 0) return out;
  for (const c of columns) {
    const nonNull = n - c.null_count;
    const nullFrac = c.null_count / n;
    if (nullFrac > t.highMissing) {
      out.push({ column: c.name, type: 'high_missing', message: nonNull === 0 ? `${c.name} has only missing values` : `${c.name} has ${c.null_pct}% missing values`, value: c.null_pct });
    } else if (nullFrac > t.missing) {
      out.push({ column: c.name, type: 'missing', message: `${c.name} has ${c.null_pct}% missing values`, value: c.null_pct });
    }
    if (n > 1 && c.distinct_count === 1 && nonNull > 0) {
      const v = constantValue(c);
      out.push({ column: c.name, type: 'constant', message: `${c.name} has a single value${v === null ? '' : ` (${JSON.stringify(v)})`}`, value: v });
    }
    // An approximate distinct count (HyperLogLog) can be off by a few per cent either way.
    const unique = n > 1 && c.null_count === 0 && c.kind !== 'nested' && (c.distinct_approx ? c.distinct_count >= n * 0.98 : c.distinct_count === n);
    if (unique) {
      out.push({ column: c.name, type: 'unique', message: `${c.name} has ${c.distinct_approx ? 'approximately ' : ''}unique values`, value: c.distinct_count });
    }
    if (c.kind === 'numeric' && c.zeros_count !== undefined && c.zeros_count / n > t.zeros) {
      const v = pct(c.zeros_count, n);
      out.push({ column: c.name, type: 'zeros', message: `${c.name} has ${v}% zeros`, value: v });
    }
    if ((c.kind === 'string' || c.kind === 'boolean') && c.distinct_count > 1 && nonNull > 0) {
      const top = c.kind === 'boolean' ? Math.max(c.true_count ?? 0, c.false_count ?? 0) : (c.top_values?.[0]?.count ?? 0);
      if (top / nonNull > t.imbalance) {
        const v = pct(top, nonNull);
        const which = c.kind === 'boolean' ? String((c.true_count ?? 0) >= (c.false_count ?? 0)) : JSON.stringify(c.top_values![0].value);
        out.push({ column: c.name, type: 'imbalance', message: `${c.name} is imbalanced: ${which} makes up ${v}% of its values`, value: v });
      }
    }
    if (c.kind === 'string' && !unique && c.distinct_count > t.highCardinalityMin && c.distinct_count / n > t.highCardinality) {
      out.push({ column: c.name, type: 'high_cardinality', message: `${c.name} has a high cardinality: ${c.distinct_count}${c.distinct_approx ? ' (approx.)' : ''} distinct values`, value: c.distinct_count });
    }
  }
  return out;
}

function constantValue(c: ColumnProfile): number | string | boolean | null {
  return c.kind === 'nested' ? null : (c.min ?? null);
}
