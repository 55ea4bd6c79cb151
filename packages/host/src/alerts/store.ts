import { randomUUID } from 'node:crypto';
import type { ChartSpec } from '../notifications/chart.js';
import type { SystemDb } from '../state/system-db.js';
import type { ConditionInput } from './condition.js';

/** What an owner states about a rule (the API's body, validated). */
export interface AlertRuleFields {
  name: string;
  sql: string;
  condition: ConditionInput;
  message: string;
  schedule: string;
  cooldownMs: number;
  /** Channel ids; null: every channel registered when it runs. */
  channels: string[] | null;
  chart: ChartSpec | null;
  enabled: boolean;
}

/** How the last run ended: the condition did not hold (`quiet`), it fired, the cooldown held it back, or it failed. */
export type RunStatus = 'quiet' | 'fired' | 'suppressed' | 'failed';

export interface AlertRule extends AlertRuleFields {
  id: string;
  ownerId: string;
  createdAt: Date;
  updatedAt: Date;
  lastRunAt: Date | null;
  lastStatus: RunStatus | null;
  /** The last scheduled firing: the cooldown counts from it. */
  lastFiredAt: Date | null;
  /** Set by the first failure of a streak (when the owner was told), cleared by the next run that works. */
  failingSince: Date | null;
}

export interface AlertHistoryEntry {
  id: string;
  ruleId: string;
  at: Date;
  /** `schedule`: a run of its recurring job; `test`: POST /api/alerts/{id}/test with deliver. */
  trigger: 'schedule' | 'test';
  status: 'fired' | 'suppressed' | 'failed';
  rowCount: number | null;
  message: string | null;
  notificationId: string | null;
  error: string | null;
}

interface RuleRow {
  id: string;
  owner_id: string;
  name: string;
  sql: string;
  condition: string;
  message: string;
  schedule: string;
  cooldown_ms: number | bigint;
  channels: string | null;
  chart: string | null;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
  last_run_at: Date | null;
  last_status: RunStatus | null;
  last_fired_at: Date | null;
  failing_since: Date | null;
}

interface HistoryRow {
  id: string;
  rule_id: string;
  run_at: Date;
  run_trigger: AlertHistoryEntry['trigger'];
  status: AlertHistoryEntry['status'];
  row_count: number | null;
  message: string | null;
  notification_id: string | null;
  error: string | null;
}

function ruleFrom(r: RuleRow): AlertRule {
  return {
    id: r.id,
    ownerId: r.owner_id,
    name: r.name,
    sql: r.sql,
    condition: JSON.parse(r.condition) as ConditionInput,
    message: r.message,
    schedule: r.schedule,
    cooldownMs: Number(r.cooldown_ms),
    channels: r.channels === null ? null : (JSON.parse(r.channels) as string[]),
    chart: r.chart === null ? null : (JSON.parse(r.chart) as ChartSpec),
    enabled: r.enabled,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastRunAt: r.last_run_at,
    lastStatus: r.last_status,
    lastFiredAt: r.last_fired_at,
    failingSince: r.failing_since,
  };
}

function historyFrom(r: HistoryRow): AlertHistoryEntry {
  return {
    id: r.id,
    ruleId: r.rule_id,
    at: r.run_at,
    trigger: r.run_trigger,
    status: r.status,
    rowCount: r.row_count === null ? null : Number(r.row_count),
    message: r.message,
    notificationId: r.notification_id,
    error: r.error,
  };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The `alert_rules` and `alert_history` tables. */
export class AlertStore {
  constructor(
    private readonly db: SystemDb,
    /** History entries kept per rule (`alerts.history_per_rule`). */
    private readonly historyPerRule: number,
  ) {}

  async create(ownerId: string, f: AlertRuleFields): Promise<AlertRule> {
    const id = randomUUID();
    const now = new Date().toISOString();
    await this.db.run(
      `INSERT INTO alert_rules (id, owner_id, name, sql, condition, message, schedule, cooldown_ms, channels, chart, enabled, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ)`,
      [id, ownerId, ...fieldValues(f), now, now],
    );
    return (await this.get(id))!;
  }

  /** Replaces what the owner states; a rule whose SQL or condition changed starts a new failure streak. */
  async update(id: string, f: AlertRuleFields): Promise<AlertRule | undefined> {
    await this.db.run(
      `UPDATE alert_rules SET name = ?, sql = ?, condition = ?, message = ?, schedule = ?, cooldown_ms = ?, channels = ?, chart = ?, enabled = ?,
         updated_at = ?::TIMESTAMPTZ, failing_since = NULL WHERE id = ?`,
      [...fieldValues(f), new Date().toISOString(), id],
    );
    return this.get(id);
  }

  async get(id: string): Promise<AlertRule | undefined> {
    const [row] = await this.db.all<RuleRow>('SELECT * FROM alert_rules WHERE id = ?', [id]);
    return row ? ruleFrom(row) : undefined;
  }

  /** One owner's rules (every rule when `ownerId` is undefined), by name. */
  async list(ownerId?: string): Promise<AlertRule[]> {
    const rows = await this.db.all<RuleRow>('SELECT * FROM alert_rules WHERE ?::VARCHAR IS NULL OR owner_id = ? ORDER BY lower(name), created_at, id', [
      ownerId ?? null,
      ownerId ?? null,
    ]);
    return rows.map(ruleFrom);
  }

  async countOwned(ownerId: string): Promise<number> {
    const [row] = await this.db.all<{ n: number | bigint }>('SELECT count(*) AS n FROM alert_rules WHERE owner_id = ?', [ownerId]);
    return Number(row?.n ?? 0);
  }

  /** Deletes a rule and its history; false when there was none. */
  async remove(id: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM alert_history WHERE rule_id = ?', [id]);
      return (await tx.run('DELETE FROM alert_rules WHERE id = ?', [id])) > 0;
    });
  }

  /** What a run leaves on its rule for the next one. */
  async recordRun(id: string, s: { at: Date; status: RunStatus; firedAt?: Date; failingSince: Date | null }): Promise<void> {
    await this.db.run(
      `UPDATE alert_rules SET last_run_at = ?::TIMESTAMPTZ, last_status = ?, last_fired_at = COALESCE(?::TIMESTAMPTZ, last_fired_at),
         failing_since = ?::TIMESTAMPTZ WHERE id = ?`,
      [s.at.toISOString(), s.status, iso(s.firedAt ?? null), iso(s.failingSince), id],
    );
  }

  /** Records one run and drops the rule's entries beyond `historyPerRule`. */
  async addHistory(e: Omit<AlertHistoryEntry, 'id'>): Promise<AlertHistoryEntry> {
    const entry = { ...e, id: randomUUID() };
    await this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO alert_history (id, rule_id, run_at, run_trigger, status, row_count, message, notification_id, error)
         VALUES (?, ?, ?::TIMESTAMPTZ, ?, ?, ?, ?, ?, ?)`,
        [entry.id, e.ruleId, e.at.toISOString(), e.trigger, e.status, e.rowCount, e.message, e.notificationId, e.error],
      );
      await tx.run(
        `DELETE FROM alert_history WHERE rule_id = ? AND id NOT IN
           (SELECT id FROM alert_history WHERE rule_id = ? ORDER BY run_at DESC, id DESC LIMIT ?)`,
        [e.ruleId, e.ruleId, this.historyPerRule],
      );
    });
    return entry;
  }

  /** A rule's history, newest first. */
  async history(ruleId: string, page: { limit: number; offset: number }): Promise<{ items: AlertHistoryEntry[]; total: number }> {
    const rows = await this.db.all<HistoryRow>('SELECT * FROM alert_history WHERE rule_id = ? ORDER BY run_at DESC, id DESC LIMIT ? OFFSET ?', [
      ruleId,
      page.limit,
      page.offset,
    ]);
    const [count] = await this.db.all<{ n: number | bigint }>('SELECT count(*) AS n FROM alert_history WHERE rule_id = ?', [ruleId]);
    return { items: rows.map(historyFrom), total: Number(count?.n ?? 0) };
  }
}

function fieldValues(f: AlertRuleFields): (string | number | boolean | null)[] {
  return [
    f.name,
    f.sql,
    JSON.stringify(f.condition),
    f.message,
    f.schedule,
    f.cooldownMs,
    f.channels === null ? null : JSON.stringify(f.channels),
    f.chart === null ? null : JSON.stringify(f.chart),
    f.enabled,
  ];
}
