import type { HostFeature, FeatureDeps } from '../features.js';
import type { JobScheduler } from '../jobs/scheduler.js';
import { alertPages } from './pages.js';
import { alertRoutes } from './routes.js';
import { runScheduled, type RunDeps } from './run.js';
import { AlertService } from './service.js';
import { AlertStore } from './store.js';
import { ALERT_JOB } from './validate.js';

/**
 * Alert rules (docs/notifications.md, Alerts): `/api/alerts`, the `/alerts` page, and one
 * job, `aida:alert`, with a recurring schedule per rule (keyed by `rule_id`).
 */
export function alertsFeature(d: FeatureDeps): HostFeature {
  const cfg = d.config.alerts;
  const logger = d.logger.child({ component: 'alerts' });
  let jobs: JobScheduler | undefined;
  const store = new AlertStore(d.data.systemDb, cfg.history_per_rule);
  const run: RunDeps = { store, owners: d.owners, hub: d.hub, users: d.identity.users, rowLimit: cfg.row_limit, logger };
  const service = new AlertService({
    run,
    checks: { owners: d.owners, channelIds: () => d.hub.channelIds(), jobs: () => jobs, minCooldownMs: cfg.min_cooldown },
    jobs: () => jobs,
    maxRulesPerUser: cfg.max_rules_per_user,
    logger,
  });
  if (!cfg.enabled) return { id: 'alerts', routes: () => [] };
  return {
    id: 'alerts',
    defineJobs(scheduler) {
      jobs = scheduler;
      scheduler.define(
        ALERT_JOB,
        async ({ data, signal }) => {
          const ruleId = typeof data.rule_id === 'string' ? data.rule_id : undefined;
          if (!ruleId) return { status: 'no rule_id' };
          const rule = await store.get(ruleId);
          if (!rule) {
            // Deleted while its run was queued (or by another instance): its schedule goes too.
            await scheduler.cancelEvery(ALERT_JOB, { rule_id: ruleId });
            return { rule_id: ruleId, status: 'deleted' };
          }
          if (!rule.enabled) return { rule_id: ruleId, status: 'disabled' };
          return { rule_id: ruleId, status: await runScheduled(run, rule, signal) };
        },
        // Two at a time: the owner-query runner has two slots, shared with scripts.
        { lockLifetime: '10m', concurrency: 2 },
      );
    },
    start: () => service.reconcile(),
    navigation: [{ label: 'Alerts', href: '/alerts', role: 'analyst' }],
    routes: () => [...alertRoutes(service), ...alertPages(service, () => d.hub.channelIds())],
  };
}
