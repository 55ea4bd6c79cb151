// One run of a rule: its SQL as the owner (with the permissions they have now), the
// condition, the message and chart, then fire, hold back (cooldown) or record the failure.
import type { Logger } from 'pino';
import type { SentNotification } from '@aida/core';
import { RateLimitedError } from '@aida/core';
import type { UsersRepository } from '../identity/users.js';
import { renderChartPng } from '../notifications/chart.js';
import type { NotificationHub } from '../notifications/hub.js';
import type { OwnerQueries, OwnerRows } from '../notifications/owner-query.js';
import { evaluateCondition } from './condition.js';
import type { AlertRule, AlertStore, RunStatus } from './store.js';
import { renderTemplate, ROW_COUNT } from './template.js';

export interface Evaluation extends OwnerRows {
  met: boolean;
  title: string;
  /** What it sends; null when the condition does not hold. */
  message: string | null;
  chart: Uint8Array | null;
  /** Why the chart could not be drawn (the notification then goes without it). */
  chartError: string | null;
}

export interface RunDeps {
  store: AlertStore;
  owners: OwnerQueries;
  hub: NotificationHub;
  users: UsersRepository;
  rowLimit: number;
  logger: Logger;
}

export const origin = (ruleId: string) => `alert:${ruleId}`;

/** Evaluates a rule now, as its owner: throws what the query throws (403 table, 400 SQL, 403 deactivated owner). */
export async function evaluate(d: RunDeps, rule: AlertRule, signal?: AbortSignal): Promise<Evaluation> {
  const result = await d.owners.rows(rule.ownerId, rule.sql, { limit: d.rowLimit, ...(signal ? { signal } : {}) });
  const outcome = evaluateCondition(rule.condition, result.columns, result.rows);
  const base = { ...result, met: outcome.met, title: rule.name, chart: null, chartError: null };
  if (!outcome.met) return { ...base, message: null };
  const row = outcome.row === undefined ? undefined : result.rows[outcome.row];
  const values = new Map<string, unknown>(result.columns.map((c, i) => [c.name, row?.[i] ?? null]));
  values.set(ROW_COUNT, result.rows.length);
  const message = renderTemplate(rule.message, values);
  if (!rule.chart) return { ...base, message };
  try {
    return { ...base, message, chart: await renderChartPng({ ...rule.chart, title: rule.chart.title ?? rule.name }, result) };
  } catch (e) {
    return { ...base, message, chartError: e instanceof Error ? e.message : String(e) };
  }
}

/** Sends an evaluation that met its condition to the owner's channels. */
export function deliver(d: RunDeps, rule: AlertRule, e: Evaluation): Promise<SentNotification> {
  return d.hub.send({
    userId: rule.ownerId,
    title: rule.name,
    body: e.message ?? '',
    origin: origin(rule.id),
    ...(e.chart ? { chart: { png: e.chart, alt: `${rule.chart!.type} chart of ${rule.chart!.y} by ${rule.chart!.x}` } } : {}),
    ...(rule.channels ? { channels: rule.channels } : {}),
  });
}

/**
 * A scheduled run: fires when the condition holds and the cooldown since the last firing has
 * passed, is recorded as suppressed inside the cooldown, and as failed when the query fails.
 * The owner hears of a failure once per streak: the first failure tells them, the next run
 * that works ends the streak. Returns how it ended, for the job's run log.
 */
export async function runScheduled(d: RunDeps, rule: AlertRule, signal: AbortSignal): Promise<RunStatus> {
  const at = new Date();
  let e: Evaluation;
  try {
    e = await evaluate(d, rule, signal);
  } catch (err) {
    await recordFailure(d, rule, at, err);
    return 'failed';
  }
  if (!e.met) {
    await d.store.recordRun(rule.id, { at, status: 'quiet', failingSince: null });
    return 'quiet';
  }
  const entry = { ruleId: rule.id, at, trigger: 'schedule' as const, rowCount: e.rows.length, message: e.message };
  if (rule.lastFiredAt && at.getTime() - rule.lastFiredAt.getTime() < rule.cooldownMs) {
    await d.store.addHistory({ ...entry, status: 'suppressed', notificationId: null, error: null });
    await d.store.recordRun(rule.id, { at, status: 'suppressed', failingSince: null });
    return 'suppressed';
  }
  const sent = await deliver(d, rule, e);
  await d.store.addHistory({ ...entry, status: 'fired', notificationId: sent.notification.id, error: e.chartError && `chart: ${e.chartError}` });
  await d.store.recordRun(rule.id, { at, status: 'fired', firedAt: at, failingSince: null });
  return 'fired';
}

async function recordFailure(d: RunDeps, rule: AlertRule, at: Date, err: unknown): Promise<void> {
  const reason = err instanceof Error ? err.message : String(err);
  // A full query queue says nothing about the rule: recorded, but no streak and no message.
  const transient = err instanceof RateLimitedError;
  const firstOfStreak = !transient && rule.failingSince === null;
  let notificationId: string | null = null;
  if (firstOfStreak && d.users.get(rule.ownerId)?.active) {
    try {
      const sent = await d.hub.send({
        userId: rule.ownerId,
        title: `Alert failed: ${rule.name}`,
        body: `Your alert "${rule.name}" could not run: ${reason}\nIt keeps running on its schedule (${rule.schedule}); you are told again only after it has worked once. Fix or delete it on the Alerts page (/alerts).`,
        origin: origin(rule.id),
        ...(rule.channels ? { channels: rule.channels } : {}),
      });
      notificationId = sent.notification.id;
    } catch (sendErr) {
      d.logger.warn({ err: sendErr, rule: rule.id }, 'telling the owner their alert failed did not work');
    }
  }
  await d.store.addHistory({ ruleId: rule.id, at, trigger: 'schedule', status: 'failed', rowCount: null, message: null, notificationId, error: reason });
  const failingSince = transient ? rule.failingSince : (rule.failingSince ?? at);
  await d.store.recordRun(rule.id, { at, status: 'failed', failingSince });
  d.logger.info({ rule: rule.id, owner: rule.ownerId, reason }, 'alert rule failed');
}
