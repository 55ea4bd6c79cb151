// The /alerts page's form, as the API's body: the same schema checks both, so a rule saved
// from the page and one sent to POST /api/alerts are held to the same rules.
import { z } from 'zod';
import { inputErrorFrom } from '@aida/core';
import { OPS, type ConditionInput } from './condition.js';
import { createBody, type CreateBody } from './schema.js';
import type { AlertRule } from './store.js';

const text = z.coerce.string().default('');

/** The fields as the browser posts them; `_csrf` is checked before any route runs (csrfGuard). */
export const ruleForm = z.object({
  name: text,
  sql: text,
  condition: text,
  message: text,
  schedule: text,
  cooldown: text,
  channels: z.union([z.string(), z.array(z.string())]).optional(),
  chart_type: text,
  chart_x: text,
  chart_y: text,
  enabled: z.string().optional(),
});
export type RuleForm = z.output<typeof ruleForm>;

const COLUMN_CONDITION = new RegExp(`^(.+?)\\s*(${[...OPS].sort((a, b) => b.length - a.length).join('|')})\\s*(.*)$`);

/**
 * The condition box: `rows > 0` as it is, or `<column> <op> <value>` with the value read as a
 * number, true/false, null, or text (quoted or not): `total >= 1000`, `status = "late"`.
 */
export function conditionFromText(s: string): ConditionInput | string {
  const t = s.trim();
  if (/^rows\s*(>=|<=|!=|>|<|=)/.test(t)) return t;
  const m = COLUMN_CONDITION.exec(t);
  if (!m) return t; // left for the schema to refuse with its own message
  const [, column, op, raw] = m as unknown as [string, string, (typeof OPS)[number], string];
  return { column: column.trim(), op, value: valueFromText(raw.trim()) };
}

function valueFromText(raw: string): string | number | boolean | null {
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) {
    try {
      return JSON.parse(raw) as string;
    } catch {
      return raw.slice(1, -1);
    }
  }
  if (raw.length >= 2 && raw.startsWith("'") && raw.endsWith("'")) return raw.slice(1, -1);
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (raw === 'null') return null;
  if (raw !== '' && Number.isFinite(Number(raw))) return Number(raw);
  return raw;
}

/** The condition as the box shows it. */
export function conditionText(c: ConditionInput): string {
  if (typeof c === 'string') return c;
  return `${c.column} ${c.op} ${typeof c.value === 'string' ? JSON.stringify(c.value) : String(c.value)}`;
}

/** The form as POST /api/alerts would take it; a bad field is the API's own 400. */
export function bodyFromForm(f: RuleForm): CreateBody {
  const channels = f.channels === undefined ? [] : Array.isArray(f.channels) ? f.channels : [f.channels];
  const parsed = createBody.safeParse({
    name: f.name,
    sql: f.sql,
    condition: conditionFromText(f.condition || 'rows > 0'),
    message: f.message,
    schedule: f.schedule,
    cooldown: f.cooldown.trim() || '1h',
    // Nothing ticked: every channel registered when it runs.
    channels: channels.length ? channels : null,
    chart: f.chart_type ? { type: f.chart_type, x: f.chart_x.trim(), y: f.chart_y.trim() } : null,
    enabled: f.enabled !== undefined,
  });
  if (!parsed.success) throw inputErrorFrom(parsed.error);
  return parsed.data;
}

/** A stored rule as the form shows it for editing. */
export function formFromRule(r: AlertRule, cooldown: string): RuleForm {
  return {
    name: r.name,
    sql: r.sql,
    condition: conditionText(r.condition),
    message: r.message,
    schedule: r.schedule,
    cooldown,
    channels: r.channels ?? [],
    chart_type: r.chart?.type ?? '',
    chart_x: r.chart?.x ?? '',
    chart_y: r.chart?.y ?? '',
    ...(r.enabled ? { enabled: 'on' } : {}),
  };
}
