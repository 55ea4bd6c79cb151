// Result sets for terminals (aligned columns, long cells cut) and for pipes (RFC 4180 CSV).
import { jsonReplacer } from './output.js';

/** A result row, in column order (the shape POST /api/query answers with). */
export type Row = unknown[];

export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v, jsonReplacer);
  return String(v);
}

/** Aligned columns; cells longer than `maxCell` (60) are cut with an ellipsis. */
export function renderTable(columns: string[], rows: Row[], maxCell = 60): string {
  const clip = (s: string) => (s.length > maxCell ? `${s.slice(0, maxCell - 1)}…` : s);
  const cells = rows.map((r) => columns.map((_c, i) => clip(cellText(r[i]).replace(/\s+/g, ' '))));
  const widths = columns.map((c) => c.length);
  for (const r of cells) r.forEach((v, i) => (widths[i] = Math.max(widths[i], v.length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export function renderCsv(columns: string[], rows: Row[]): string {
  const q = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [columns.map(q).join(','), ...rows.map((r) => columns.map((_c, i) => q(cellText(r[i]))).join(','))].join('\n') + '\n';
}

/** Key/value pairs, aligned. */
export function renderPairs(pairs: [string, unknown][]): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(w)}  ${cellText(v)}`).join('\n');
}
