// The JSON shapes of /api/alerts: what a rule's body may hold and what the API answers.
import { z } from 'zod';
import { formatDuration, isoTimestamp, zDuration } from '@aida/core';
import { MAX_SQL_LENGTH } from '../data/query/statement.js';
import { conditionSchema } from './condition.js';
import type { AlertHistoryEntry, AlertRule } from './store.js';
import { MAX_TEMPLATE_CHARS } from './template.js';

export const chartSpecSchema = z
  .object({
    type: z.enum(['line', 'bar']),
    x: z.string().min(1).max(200).meta({ description: 'Column for the horizontal axis' }),
    y: z.string().min(1).max(200).meta({ description: 'Numeric column for the vertical axis' }),
    title: z.string().max(120).optional(),
  })
  .strict();

const fields = {
  name: z.string().trim().min(1).max(200),
  sql: z.string().trim().min(1).max(MAX_SQL_LENGTH).meta({ description: 'One SELECT, run as the owner with the permissions they have at each run' }),
  condition: conditionSchema,
  message: z
    .string()
    .trim()
    .min(1)
    .max(MAX_TEMPLATE_CHARS)
    .meta({ description: 'Text with {{column}} (from the first row that met the condition) and {{row_count}} placeholders' }),
  schedule: z.string().trim().min(1).max(100).meta({ description: 'A 5-field cron expression in UTC, e.g. `*/15 * * * *`' }),
  cooldown: zDuration().meta({ description: 'After firing, the rule does not fire again for this long (`1h`, `30m`)' }),
  channels: z
    .array(z.string().min(1).max(100))
    .max(20)
    .nullable()
    .meta({ description: 'Channel ids (`ws`, `telegram`); null or omitted: every channel registered when the rule runs' }),
  chart: chartSpecSchema.nullable().meta({ description: 'A chart of the result attached to the notification' }),
  enabled: z.boolean().meta({ description: 'false: the rule is kept but does not run on its schedule' }),
};

/** POST /api/alerts: name, sql, message and schedule are required. */
export const createBody = z
  .object({
    ...fields,
    condition: fields.condition.default('rows > 0'),
    cooldown: zDuration().prefault('1h').meta({ description: 'After firing, the rule does not fire again for this long; default 1h' }),
    channels: fields.channels.optional().transform((c) => c ?? null),
    chart: fields.chart.optional().transform((c) => c ?? null),
    enabled: fields.enabled.default(true),
  })
  .strict();

/** PUT /api/alerts/{id}: any of the fields; the others keep their value. */
export const updateBody = z.object(fields).partial().strict();

export type CreateBody = z.output<typeof createBody>;
export type UpdateBody = z.output<typeof updateBody>;

export const idParams = z.object({ id: z.string().min(1).meta({ description: 'The rule id' }) });

export const ruleSchema = z.object({
  id: z.string(),
  owner_id: z.string(),
  owner_email: z.string().nullable(),
  name: z.string(),
  sql: z.string(),
  condition: conditionSchema,
  message: z.string(),
  schedule: z.string(),
  cooldown: z.string(),
  channels: z.array(z.string()).nullable(),
  chart: chartSpecSchema.nullable(),
  enabled: z.boolean(),
  created_at: isoTimestamp,
  updated_at: isoTimestamp,
  last_run_at: isoTimestamp.nullable(),
  last_status: z.enum(['quiet', 'fired', 'suppressed', 'failed']).nullable(),
  last_fired_at: isoTimestamp.nullable(),
  failing_since: isoTimestamp.nullable(),
});

export const historySchema = z.object({
  id: z.string(),
  at: isoTimestamp,
  trigger: z.enum(['schedule', 'test']),
  status: z.enum(['fired', 'suppressed', 'failed']),
  row_count: z.number().int().nullable(),
  message: z.string().nullable(),
  notification_id: z.string().nullable(),
  error: z.string().nullable(),
});

export const testAnswerSchema = z.object({
  condition_met: z.boolean(),
  row_count: z.number().int(),
  truncated: z.boolean().meta({ description: 'The SQL returned more rows than alerts.row_limit; the rule saw only those' }),
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.array(z.unknown())).meta({ description: 'The first 20 rows' }),
  title: z.string(),
  message: z.string().nullable().meta({ description: 'What it would send; null when the condition does not hold' }),
  chart: z.object({ bytes: z.number().int() }).nullable().meta({ description: 'The chart it would attach (its PNG size); null without one' }),
  chart_error: z.string().nullable(),
  delivered: z
    .object({ notification_id: z.string(), deliveries: z.record(z.string(), z.object({ status: z.string(), detail: z.string().optional() })) })
    .nullable()
    .meta({ description: 'With ?deliver=true and the condition met: the notification sent' }),
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function ruleJson(r: AlertRule, ownerEmail: string | undefined): z.output<typeof ruleSchema> {
  return {
    id: r.id,
    owner_id: r.ownerId,
    owner_email: ownerEmail ?? null,
    name: r.name,
    sql: r.sql,
    condition: r.condition,
    message: r.message,
    schedule: r.schedule,
    cooldown: formatDuration(r.cooldownMs),
    channels: r.channels,
    chart: r.chart,
    enabled: r.enabled,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
    last_run_at: iso(r.lastRunAt),
    last_status: r.lastStatus,
    last_fired_at: iso(r.lastFiredAt),
    failing_since: iso(r.failingSince),
  };
}

export function historyJson(e: AlertHistoryEntry): z.output<typeof historySchema> {
  return {
    id: e.id,
    at: e.at.toISOString(),
    trigger: e.trigger,
    status: e.status,
    row_count: e.rowCount,
    message: e.message,
    notification_id: e.notificationId,
    error: e.error,
  };
}
