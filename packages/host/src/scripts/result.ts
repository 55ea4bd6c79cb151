// What a script's function may return, checked in the host after the run: nothing (no
// notification this time) or `{message, title?, chart?}`. A chart's data is rows (objects)
// or a query() answer as the script got it; both become the column/row form charts draw.
import { z } from 'zod';
import type { ChartData, ChartSpec } from '../notifications/chart.js';

const row = z.record(z.string(), z.unknown());
const chartSchema = z.object({
  type: z.enum(['line', 'bar']),
  x: z.string().min(1),
  y: z.string().min(1),
  title: z.string().optional(),
  data: z.union([z.array(row), z.object({ columns: z.array(z.object({ name: z.string(), type: z.string() })), rows: z.array(row) })]),
});

const resultSchema = z.object({
  message: z.string().trim().min(1),
  /** The notification's title; the script's name when absent. */
  title: z.string().trim().min(1).optional(),
  chart: chartSchema.optional(),
});

export interface ScriptMessage {
  title?: string;
  message: string;
  chart?: { spec: ChartSpec; data: ChartData };
}

/** A script's return value as a message, `null` for nothing to send, or the reason it is neither. */
export function readResult(value: unknown): { ok: true; message: ScriptMessage | null } | { ok: false; reason: string } {
  if (value === null || value === undefined || value === false) return { ok: true, message: null };
  const parsed = resultSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'result'}: ${i.message}`).join('; ');
    return { ok: false, reason: `the script must return nothing or { message, title?, chart? } (${issues})` };
  }
  const { message, title, chart } = parsed.data;
  if (!chart) return { ok: true, message: { message, ...(title ? { title } : {}) } };
  const given = chart.data;
  const data = Array.isArray(given) ? fromRows(given) : { columns: given.columns, rows: given.rows.map((r) => given.columns.map((c) => r[c.name] ?? null)) };
  const spec: ChartSpec = { type: chart.type, x: chart.x, y: chart.y, ...(chart.title ? { title: chart.title } : {}) };
  return { ok: true, message: { message, ...(title ? { title } : {}), chart: { spec, data } } };
}

/** Columns of plain rows: the first row's keys, typed from their values. */
function fromRows(rows: Record<string, unknown>[]): ChartData {
  const names = Object.keys(rows[0] ?? {});
  const columns = names.map((name) => ({ name, type: typeOf(rows.find((r) => r[name] !== null && r[name] !== undefined)?.[name]) }));
  return { columns, rows: rows.map((r) => names.map((n) => r[n] ?? null)) };
}

function typeOf(v: unknown): string {
  if (typeof v === 'number') return 'DOUBLE';
  if (typeof v === 'boolean') return 'BOOLEAN';
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v))
    return v.length > 10 ? 'TIMESTAMP' : 'DATE';
  return 'VARCHAR';
}
