// What the API and the page do with rules: who sees which, save-time checks, keeping each
// rule's recurring job in step with it, and "test now".
import type { Logger } from 'pino';
import { NotAllowedError, type RequestUser } from '@aida/core';
import { AlertLimitError, AlertNotFoundError } from '../errors.js';
import type { JobScheduler } from '../jobs/scheduler.js';
import { deliver, evaluate, type Evaluation, type RunDeps } from './run.js';
import type { CreateBody, UpdateBody } from './schema.js';
import type { AlertHistoryEntry, AlertRule, AlertRuleFields } from './store.js';
import { ALERT_JOB, checkRule, type RuleChecks } from './validate.js';

export interface TestOutcome {
  evaluation: Evaluation;
  /** Set when the test delivered (`deliver` and the condition held). */
  delivered: { notificationId: string; deliveries: Record<string, { status: string; detail?: string }> } | null;
}

export class AlertService {
  constructor(
    private readonly d: {
      run: RunDeps;
      checks: RuleChecks;
      jobs: () => JobScheduler | undefined;
      maxRulesPerUser: number;
      logger: Logger;
    },
  ) {}

  /** A rule the caller may see (their own; any for an admin); 404 otherwise, so others' ids say nothing. */
  async visible(user: RequestUser, id: string): Promise<AlertRule> {
    const rule = await this.d.run.store.get(id);
    if (!rule || (rule.ownerId !== user.id && user.role !== 'admin')) throw new AlertNotFoundError(`You have no alert rule ${id}`);
    return rule;
  }

  /** The caller's rules; with `all`, an admin's view of everyone's. */
  list(user: RequestUser, all: boolean): Promise<AlertRule[]> {
    if (all && user.role !== 'admin') throw new NotAllowedError("Only an admin may list every user's alert rules (all=true)");
    return this.d.run.store.list(all ? undefined : user.id);
  }

  ownerEmail(rule: AlertRule): string | undefined {
    return this.d.run.users.get(rule.ownerId)?.email;
  }

  async create(user: RequestUser, body: CreateBody): Promise<AlertRule> {
    const owned = await this.d.run.store.countOwned(user.id);
    if (owned >= this.d.maxRulesPerUser) {
      throw new AlertLimitError(`You already have ${owned} alert rules, the most a user may have (alerts.max_rules_per_user); delete one first`);
    }
    const fields = await checkRule(this.d.checks, user.id, fieldsOf(body));
    const rule = await this.d.run.store.create(user.id, fields);
    await this.schedule(rule);
    return rule;
  }

  /** Changes what the body names; the rule keeps its owner and is checked again as the owner would run it. */
  async update(user: RequestUser, id: string, patch: UpdateBody): Promise<AlertRule> {
    const rule = await this.visible(user, id);
    const merged: AlertRuleFields = {
      name: patch.name ?? rule.name,
      sql: patch.sql ?? rule.sql,
      condition: patch.condition ?? rule.condition,
      message: patch.message ?? rule.message,
      schedule: patch.schedule ?? rule.schedule,
      cooldownMs: patch.cooldown ?? rule.cooldownMs,
      channels: patch.channels === undefined ? rule.channels : patch.channels,
      chart: patch.chart === undefined ? rule.chart : patch.chart,
      enabled: patch.enabled ?? rule.enabled,
    };
    const fields = await checkRule(this.d.checks, rule.ownerId, merged);
    const updated = (await this.d.run.store.update(id, fields)) ?? rule;
    await this.schedule(updated);
    return updated;
  }

  async remove(user: RequestUser, id: string): Promise<void> {
    await this.visible(user, id);
    await this.unschedule(id);
    await this.d.run.store.remove(id);
  }

  async history(user: RequestUser, id: string, page: { limit: number; offset: number }): Promise<{ items: AlertHistoryEntry[]; total: number }> {
    await this.visible(user, id);
    return this.d.run.store.history(id, page);
  }

  /**
   * Runs the rule now, as its owner, and says what it would send. With `send`, a rule whose
   * condition holds is also delivered (recorded in its history as a test; the cooldown of its
   * scheduled runs is left alone). A failing query is the caller's error answer, not recorded.
   */
  async test(user: RequestUser, id: string, send: boolean): Promise<TestOutcome> {
    const rule = await this.visible(user, id);
    const evaluation = await evaluate(this.d.run, rule);
    if (!send || !evaluation.met) return { evaluation, delivered: null };
    const sent = await deliver(this.d.run, rule, evaluation);
    await this.d.run.store.addHistory({
      ruleId: rule.id,
      at: new Date(),
      trigger: 'test',
      status: 'fired',
      rowCount: evaluation.rows.length,
      message: evaluation.message,
      notificationId: sent.notification.id,
      error: evaluation.chartError && `chart: ${evaluation.chartError}`,
    });
    return { evaluation, delivered: { notificationId: sent.notification.id, deliveries: sent.deliveries } };
  }

  /** Brings the recurring jobs in line with the stored rules (at start: rules changed or deleted while it was down). */
  async reconcile(): Promise<void> {
    const jobs = this.d.jobs();
    if (!jobs) return;
    const rules = await this.d.run.store.list();
    const ids = new Set(rules.map((r) => r.id));
    for (const data of await jobs.recurringSchedules(ALERT_JOB)) {
      const id = typeof data.rule_id === 'string' ? data.rule_id : undefined;
      if (id && !ids.has(id)) await jobs.cancelEvery(ALERT_JOB, { rule_id: id });
    }
    for (const rule of rules) {
      await this.schedule(rule).catch((err: unknown) => this.d.logger.warn({ err, rule: rule.id }, 'cannot schedule alert rule'));
    }
  }

  private async schedule(rule: AlertRule): Promise<void> {
    const jobs = this.d.jobs();
    if (!jobs) return;
    if (!rule.enabled) {
      await jobs.cancelEvery(ALERT_JOB, { rule_id: rule.id });
      return;
    }
    await jobs.every(ALERT_JOB, rule.schedule, { rule_id: rule.id }, { rule_id: rule.id });
  }

  private async unschedule(id: string): Promise<void> {
    await this.d.jobs()?.cancelEvery(ALERT_JOB, { rule_id: id });
  }
}

function fieldsOf(b: CreateBody): AlertRuleFields {
  return {
    name: b.name,
    sql: b.sql,
    condition: b.condition,
    message: b.message,
    schedule: b.schedule,
    cooldownMs: b.cooldown,
    channels: b.channels,
    chart: b.chart,
    enabled: b.enabled,
  };
}
