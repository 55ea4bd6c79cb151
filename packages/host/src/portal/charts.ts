import { formatNumber } from '@aida/core';
import type { ColumnProfile, HistogramBin, PeriodBin } from '../data/profiles/types.js';

/**
 * The table page's charts: profile data in, an SVG string out, rendered on the server so the
 * page needs no script and no chart library. Every text that goes in is escaped here, which is
 * why the template may print the result with `| safe`. No `style` attribute anywhere (the CSP
 * forbids inline style): sizes and colours are presentation attributes, classes for the CSS.
 */

// Drawn at about the width of a column card, so the 12-unit text shows at about 12 px.
const WIDTH = 360;
const BAR_FILL = '#2563eb';
const TRACK_FILL = '#e3e6eb';
const TEXT_FILL = '#1d2330';
const MUTED_FILL = '#4b5563';

/** `&`, `<`, `>`, `"` and `'` as entities: safe in SVG text and in attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The opening tag every chart has: an image to assistive technology, named by `label`, with the same text as its `<title>`. */
function open(kind: string, height: number, label: string, width = WIDTH): string {
  const l = escapeXml(label);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart ${kind}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ` +
    `role="img" aria-label="${l}" font-size="12" font-family="system-ui, sans-serif"><title>${l}</title>`
  );
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${x}" y="${y}" fill="${TEXT_FILL}"${attrs ? ` ${attrs}` : ''}>${escapeXml(content)}</text>`;
}

/** A valid chart saying there is nothing to draw, instead of an empty or broken one. */
export function noValuesChart(title: string): string {
  return `${open('empty', 32, `${title}: no values`)}${text(8, 21, 'No values', 'class="empty"')}</svg>`;
}

function isPeriodBin(b: HistogramBin | PeriodBin): b is PeriodBin {
  return 'period' in b;
}

/** Labels of the bins: a period as it is, a numeric range as `lower–upper`, a one-value integer bin `(v-1, v]` as `v`. */
function binLabels(bins: readonly (HistogramBin | PeriodBin)[]): string[] {
  const numeric = bins.filter((b): b is HistogramBin => !isPeriodBin(b));
  const perValue = numeric.length === bins.length && numeric.every((b) => Number.isInteger(b.upper) && b.upper - b.lower === 1);
  return bins.map((b) => (isPeriodBin(b) ? b.period : perValue ? formatNumber(b.upper) : `${formatNumber(b.lower)}–${formatNumber(b.upper)}`));
}

/**
 * Vertical bars, one per bin, heights proportional to the counts; each bar's `<title>` names its
 * range and count. Numeric bins (equal width) and date periods alike.
 */
export function histogramChart(bins: readonly (HistogramBin | PeriodBin)[], title: string): string {
  const max = Math.max(0, ...bins.map((b) => b.count));
  if (!bins.length || max === 0) return noValuesChart(title);
  const height = 150;
  const [left, right, top, bottom] = [40, 8, 10, 30];
  const plotW = WIDTH - left - right;
  const plotH = height - top - bottom;
  const step = plotW / bins.length;
  const gap = Math.min(2, step * 0.1);
  const labels = binLabels(bins);
  const tallest = bins.findIndex((b) => b.count === max);
  const bars = bins
    .map((b, i) => {
      const h = round((b.count / max) * plotH);
      const x = round(left + i * step + gap / 2);
      return `<rect class="bar" x="${x}" y="${round(top + plotH - h)}" width="${round(step - gap)}" height="${h}" fill="${BAR_FILL}"><title>${escapeXml(`${labels[i]}: ${formatNumber(b.count)}`)}</title></rect>`;
    })
    .join('');
  const first = isPeriodBin(bins[0]!) ? labels[0]! : formatNumber((bins[0] as HistogramBin).lower);
  const last = isPeriodBin(bins[bins.length - 1]!) ? labels[labels.length - 1]! : formatNumber((bins[bins.length - 1] as HistogramBin).upper);
  const label = `${title}: ${bins.length} ${bins.length === 1 ? 'bin' : 'bins'} from ${first} to ${last}; the largest, ${labels[tallest]}, holds ${formatNumber(max)}`;
  const base = top + plotH;
  return (
    open('histogram', height, label) +
    `<line x1="${left}" y1="${base}" x2="${WIDTH - right}" y2="${base}" stroke="${MUTED_FILL}" stroke-width="1"/>` +
    bars +
    text(left - 4, top + 10, formatNumber(max), 'text-anchor="end"') +
    text(left - 4, base, '0', 'text-anchor="end"') +
    text(left, base + 16, first) +
    (bins.length > 1 ? text(WIDTH - right, base + 16, last, 'text-anchor="end"') : '') +
    '</svg>'
  );
}

/** Cuts a label to `max` characters with an ellipsis; the bar's `<title>` keeps the whole value. */
function shorten(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * Horizontal bars of the most frequent values, longest first as given, widths proportional to
 * the counts; with `total` (the non-null values) each count also shows its share.
 */
export function topValuesChart(values: readonly { value: string; count: number }[], title: string, total?: number): string {
  const max = Math.max(0, ...values.map((v) => v.count));
  if (!values.length || max === 0) return noValuesChart(title);
  const row = 22;
  const height = values.length * row + 6;
  const [labelW, countW] = [128, 84];
  const barMax = WIDTH - labelW - countW;
  const share = (n: number) => (total && total > 0 ? ` (${formatNumber(Math.round((n / total) * 1000) / 10)}%)` : '');
  const rows = values
    .map((v, i) => {
      const y = 3 + i * row;
      const w = round((v.count / max) * barMax);
      const full = `${v.value}: ${formatNumber(v.count)}${share(v.count)}`;
      return (
        text(labelW - 6, y + 15, shorten(v.value === '' ? '(empty)' : v.value, 16), 'text-anchor="end"') +
        `<rect class="bar" x="${labelW}" y="${y + 3}" width="${w}" height="${row - 6}" fill="${BAR_FILL}"><title>${escapeXml(full)}</title></rect>` +
        text(labelW + w + 4, y + 15, `${formatNumber(v.count)}${share(v.count)}`)
      );
    })
    .join('');
  const head = values[0]!;
  const times = head.count === 1 ? 'once' : `${formatNumber(head.count)} times`;
  const label = `${title}: ${values.length} most frequent ${values.length === 1 ? 'value' : 'values'}; the first, ${shorten(head.value, 60)}, occurs ${times}`;
  return `${open('top-values', height, label)}${rows}</svg>`;
}

/** A thin bar filled to `fraction` (0–1) of its width, for the null and distinct ratios. */
export function ratioChart(fraction: number, title: string): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const [w, h] = [100, 8];
  const label = `${title}: ${formatNumber(Math.round(f * 1000) / 10)}%`;
  return (
    open('ratio', h, label, w) +
    `<rect class="track" x="0" y="0" width="${w}" height="${h}" fill="${TRACK_FILL}"/>` +
    `<rect class="fill" x="0" y="0" width="${round(f * w)}" height="${h}" fill="${BAR_FILL}"/>` +
    '</svg>'
  );
}

/**
 * The chart that fits a column's kind: a histogram for numbers and dates, the top values for
 * text, true against false for booleans; null for kinds the profile has no distribution of.
 */
export function columnChart(column: ColumnProfile, nonNull?: number): string | null {
  switch (column.kind) {
    case 'numeric':
      return histogramChart(column.histogram ?? [], `Distribution of ${column.name}`);
    case 'temporal':
      return histogramChart(column.histogram ?? [], `Values of ${column.name} per ${column.histogram_unit ?? 'period'}`);
    case 'string':
      return topValuesChart(column.top_values ?? [], `Most frequent values of ${column.name}`, nonNull);
    case 'boolean':
      return topValuesChart(
        [
          { value: 'true', count: column.true_count ?? 0 },
          { value: 'false', count: column.false_count ?? 0 },
        ],
        `True and false in ${column.name}`,
        nonNull,
      );
    default:
      return null;
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
