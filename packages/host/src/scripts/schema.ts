// Request and answer shapes of /api/scripts, and the JSON of stored scripts and runs.
import { z } from 'zod';
import { isoTimestamp } from '@aida/core';
import type { ScriptRunRecord, StoredScript } from './store.js';

/** Longest source accepted (a notification script is a page or two, not a bundle). */
export const MAX_SOURCE_CHARS = 256 * 1024;

const source = z
  .string()
  .min(1)
  .max(MAX_SOURCE_CHARS)
  .meta({ description: 'A JavaScript module with no imports: `export default async function run({ query, params }) { … return { message, chart? } }`' });
const params = z.record(z.string(), z.unknown()).meta({ description: 'JSON the function receives as `params`' });
const owner = z.string().min(1).meta({ description: "The user (id or email) the script runs as, with that user's permissions at run time; default: you" });
const channels = z.array(z.string().min(1)).meta({ description: 'Channel ids to deliver on (`ws`, `telegram`); default: every registered channel' });

export const deployBody = z
  .object({
    name: z.string().trim().min(1).max(200).meta({ description: 'Unique; deploying a name again replaces that script' }),
    source,
    owner: owner.optional(),
    schedule: z
      .string()
      .trim()
      .min(1)
      .nullable()
      .optional()
      .meta({ description: 'Cron (`0 8 * * 1-5`), human interval or duration; none: run on demand only' }),
    channels: channels.nullable().optional(),
    params: params.optional(),
  })
  .strict();

export const runBody = z
  .object({
    source,
    params: params.optional(),
    owner: owner.optional(),
    deliver: z.boolean().default(false).meta({ description: "true: send the message to the owner's channels (origin `script:adhoc`)" }),
    channels: channels.optional(),
  })
  .strict();

/** `POST /api/scripts/{id}/run`: the body may be empty; `params` replaces the stored ones for this run. */
export const runStoredBody = z.object({ params: params.optional() }).strict();

export const idParams = z.object({ id: z.string().min(1).meta({ description: 'The script id' }) });

const statusSchema = z.enum(['ok', 'error', 'timeout', 'memory', 'output_too_large']);

export const runResultSchema = z.object({
  status: statusSchema,
  message: z.string().optional().meta({ description: "The script's message (ok) or why the run failed" }),
  line: z.number().int().optional().meta({ description: 'The line of the script an error points at' }),
  chart: z
    .object({ type: z.enum(['line', 'bar']), x: z.string(), y: z.string(), title: z.string().optional(), url: z.string().optional() })
    .optional()
    .meta({ description: 'The chart the script returned; `url` is its image once delivered' }),
  logs: z.array(z.string()),
  duration_ms: z.number().int(),
  queries: z.number().int(),
  notification: z.object({ id: z.string(), deliveries: z.record(z.string(), z.object({ status: z.string(), detail: z.string().optional() })) }).optional(),
});

const lastRunSchema = z.object({ status: statusSchema, message: z.string().nullable(), started_at: isoTimestamp }).nullable();

export const scriptSchema = z.object({
  id: z.string(),
  name: z.string(),
  owner_id: z.string(),
  owner_email: z.string().nullable(),
  schedule: z.string().nullable(),
  channels: z.array(z.string()).nullable(),
  params: z.record(z.string(), z.unknown()),
  created_by: z.string(),
  created_at: isoTimestamp,
  updated_at: isoTimestamp,
  last_run: lastRunSchema,
});
export const scriptWithSourceSchema = scriptSchema.extend({ source: z.string() });

export const runRecordSchema = z.object({
  id: z.string(),
  trigger: z.enum(['manual', 'schedule']),
  status: statusSchema,
  message: z.string().nullable(),
  line: z.number().int().nullable(),
  logs: z.array(z.string()),
  queries: z.number().int(),
  duration_ms: z.number().int(),
  notification_id: z.string().nullable(),
  started_at: isoTimestamp,
});

export function scriptJson(s: StoredScript, ownerEmail: string | null, last: ScriptRunRecord | undefined) {
  return {
    id: s.id,
    name: s.name,
    owner_id: s.ownerId,
    owner_email: ownerEmail,
    schedule: s.schedule,
    channels: s.channels,
    params: s.params,
    created_by: s.createdBy,
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
    last_run: last ? { status: last.status, message: last.message, started_at: last.startedAt.toISOString() } : null,
  };
}

export function runRecordJson(r: ScriptRunRecord) {
  return {
    id: r.id,
    trigger: r.trigger,
    status: r.status,
    message: r.message,
    line: r.line,
    logs: r.logs,
    queries: r.queries,
    duration_ms: r.durationMs,
    notification_id: r.notificationId,
    started_at: r.startedAt.toISOString(),
  };
}
