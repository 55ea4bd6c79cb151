// Save-time checks of a rule: everything that can be known before it runs is a 400 (or the
// sandbox's 403) when it is saved, not a failure its owner hears about at 3 a.m.
import { formatDuration, InputError } from '@aida/core';
import { AlertChannelUnknownError, AlertColumnUnknownError, AlertScheduleInvalidError } from '../errors.js';
import type { JobScheduler } from '../jobs/scheduler.js';
import { isNumericType } from '../notifications/chart.js';
import type { OwnerQueries } from '../notifications/owner-query.js';
import { conditionColumn } from './condition.js';
import type { AlertRuleFields } from './store.js';
import { placeholderNames, ROW_COUNT } from './template.js';

export const ALERT_JOB = 'aida:alert';

export interface RuleChecks {
  owners: OwnerQueries;
  /** Ids of the channels registered now. */
  channelIds: () => string[];
  jobs: () => JobScheduler | undefined;
  minCooldownMs: number;
}

/**
 * Checks a rule as `ownerId` would run it: schedule, cooldown, channels, the message
 * template, then the SQL through the query sandbox with the owner's permissions (a table
 * they cannot read is the sandbox's 403), and that every column the rule names is in its
 * result. Returns the fields with the channels deduplicated.
 */
export async function checkRule(c: RuleChecks, ownerId: string, f: AlertRuleFields): Promise<AlertRuleFields> {
  checkSchedule(c, f.schedule);
  if (f.cooldownMs < c.minCooldownMs) {
    throw new InputError(`cooldown: must be at least ${formatDuration(c.minCooldownMs)} (alerts.min_cooldown); got ${formatDuration(f.cooldownMs)}`, {
      field: 'cooldown',
    });
  }
  const channels = f.channels === null ? null : [...new Set(f.channels)];
  if (channels) {
    const known = c.channelIds();
    const unknown = channels.filter((id) => !known.includes(id));
    if (unknown.length) {
      throw new AlertChannelUnknownError(
        `channels: ${unknown.map((u) => JSON.stringify(u)).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a registered notification channel; registered: ${known.join(', ') || 'none'}`,
        { field: 'channels', detail: { registered: known } },
      );
    }
  }
  const names = placeholderNames(f.message).filter((n) => n !== ROW_COUNT);
  // Runs the statement as the owner, reading no rows: the sandbox's parse-tree check, read
  // access on each table and the engine's own errors, plus the result's columns.
  const { columns } = await c.owners.rows(ownerId, f.sql, { limit: 0 });
  const has = new Set(columns.map((col) => col.name));
  const missing = (field: string, name: string) =>
    new AlertColumnUnknownError(
      `${field}: the SQL returns no column ${JSON.stringify(name)}; it returns ${columns.map((col) => col.name).join(', ') || 'none'}`,
      {
        field,
        detail: { columns: columns.map((col) => col.name) },
      },
    );
  const column = conditionColumn(f.condition);
  if (column !== undefined && !has.has(column)) throw missing('condition.column', column);
  for (const n of names) if (!has.has(n)) throw missing('message', n);
  if (f.chart) {
    if (!has.has(f.chart.x)) throw missing('chart.x', f.chart.x);
    const y = columns.find((col) => col.name === f.chart!.y);
    if (!y) throw missing('chart.y', f.chart.y);
    if (!isNumericType(y.type))
      throw new InputError(`chart.y: ${JSON.stringify(y.name)} is ${y.type}; the vertical axis needs a numeric column`, { field: 'chart.y' });
  }
  return { ...f, channels };
}

function checkSchedule(c: RuleChecks, schedule: string): void {
  const bad = () =>
    new AlertScheduleInvalidError(
      `schedule: ${JSON.stringify(schedule)} is not a 5-field cron expression (minute hour day month weekday), e.g. "*/15 * * * *"`,
      {
        field: 'schedule',
      },
    );
  // Five fields: a minute is the finest a rule runs (a sixth, seconds, field is refused).
  if (schedule.trim().split(/\s+/).length !== 5) throw bad();
  const jobs = c.jobs();
  if (!jobs) return; // no scheduler on this instance: the rule is only saved
  try {
    jobs.validateSchedule(ALERT_JOB, schedule);
  } catch {
    throw bad();
  }
}
