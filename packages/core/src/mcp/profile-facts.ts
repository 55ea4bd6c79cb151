// What an agent should know about a table's columns, read off its profile: which column is a
// key, which are mostly empty, which hold a handful of values (and which), which never change.
// Shared by describe_table on both servers and by the agent context file `da sync` writes.
import { z } from 'zod';
import type { McpColumn, McpTableDescription } from './schemas.js';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** The parts of a table profile (GET /api/catalog/profile/{table}) the tools use; other fields pass through. */
export const tableProfileSchema = z.looseObject({
  table: z.string().optional(),
  rows: z.number(),
  profiled_at: z.string(),
  sampled: z.boolean().optional(),
  stale: z.boolean().optional(),
  columns: z.array(
    z.looseObject({
      name: z.string(),
      type: z.string(),
      kind: z.string().optional(),
      null_pct: z.number(),
      distinct_count: z.number(),
      distinct_approx: z.boolean().optional(),
      min: scalar.optional(),
      max: scalar.optional(),
      top_values: z.array(z.object({ value: z.string(), count: z.number() })).optional(),
    }),
  ),
  alerts: z.array(z.looseObject({ column: z.string(), type: z.string(), message: z.string() })).default([]),
});

export type TableProfileFacts = z.infer<typeof tableProfileSchema>;
type ProfiledColumn = TableProfileFacts['columns'][number];

/** Columns with at least this share of nulls are called out. */
const NULL_HEAVY_PCT = 30;
/** Columns with at most this many distinct values have them listed. */
const FEW_VALUES = 12;
const VALUE_CHARS = 40;
const TOP_VALUES_SHOWN = 5;

/** Short facts about one column: `unique`, `62% null`, `values: a, b, c`, `constant: x`. */
export function columnNotes(c: ProfiledColumn, p: TableProfileFacts): string[] {
  const notes: string[] = [];
  const alerts = new Set(p.alerts.filter((a) => a.column === c.name).map((a) => a.type));
  const exact = !c.distinct_approx && !p.sampled;
  if (c.null_pct >= 100) notes.push('always null');
  else if (c.distinct_count === 1 && c.null_pct === 0) notes.push(`constant${c.top_values?.[0] ? `: ${short(c.top_values[0].value)}` : ''}`);
  else {
    if (alerts.has('unique') || (exact && p.rows > 1 && c.null_pct === 0 && c.distinct_count === p.rows)) notes.push('unique');
    if (c.null_pct >= NULL_HEAVY_PCT) notes.push(`${Math.round(c.null_pct)}% null`);
    const values = c.top_values ?? [];
    if (c.distinct_count > 1 && c.distinct_count <= FEW_VALUES && values.length >= c.distinct_count)
      notes.push(`values: ${values.map((v) => short(v.value)).join(', ')}`);
  }
  return notes;
}

/** A described column: its name and type, with the profile's figures and notes when there is a profile. */
export function describeColumn(name: string, type: string, profile: TableProfileFacts | undefined): McpColumn {
  const c = profile?.columns.find((x) => x.name === name);
  if (!c || !profile) return { name, type };
  const notes = columnNotes(c, profile);
  return {
    name,
    type,
    null_pct: Math.round(c.null_pct * 10) / 10,
    distinct_count: c.distinct_count,
    ...(c.min !== undefined ? { min: c.min } : {}),
    ...(c.max !== undefined ? { max: c.max } : {}),
    // Most frequent values say something only when some value repeats.
    ...(c.top_values?.length && c.top_values[0].count > 1
      ? { top_values: c.top_values.slice(0, TOP_VALUES_SHOWN).map((v) => ({ value: short(v.value), count: v.count })) }
      : {}),
    ...(notes.length ? { notes } : {}),
  };
}

/** The profile block of describe_table. */
export function profileSummary(p: TableProfileFacts | undefined): McpTableDescription['profile'] {
  if (!p) return null;
  return {
    profiled_at: p.profiled_at,
    sampled: Boolean(p.sampled),
    stale: Boolean(p.stale),
    alerts: p.alerts.map((a) => ({ column: a.column, type: a.type, message: a.message })),
  };
}

function short(v: string): string {
  const chars = Array.from(v.replace(/\s+/g, ' ')); // code points: a cut never splits a surrogate pair
  return chars.length <= VALUE_CHARS ? chars.join('') : `${chars.slice(0, VALUE_CHARS - 1).join('')}…`;
}
