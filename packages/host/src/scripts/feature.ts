import type { FeatureDeps, HostFeature } from '../features.js';
import type { JobScheduler } from '../jobs/scheduler.js';
import { locateSandbox } from './launch.js';
import { scriptRoutes } from './routes.js';
import { ScriptSandbox } from './sandbox.js';
import { SCRIPT_JOB, ScriptService } from './service.js';
import { ScriptStore } from './store.js';

/**
 * Notification scripts (docs/notifications.md, Scripts): `/api/scripts` for admins, and one
 * job, `aida:script`, with a recurring schedule per scheduled script (keyed by `script_id`).
 * Disabled (the default), the routes answer 404 saying how to enable them. Enabled, the host
 * does not start unless the sandbox does: isolated-vm must load in a permission-model child.
 */
export function scriptsFeature(d: FeatureDeps): HostFeature {
  const cfg = d.config.scripts;
  if (!cfg.enabled) return { id: 'scripts', routes: () => scriptRoutes(undefined, d.identity.users) };
  const logger = d.logger.child({ component: 'scripts' });
  // Throws the startup error at once when isolated-vm or the compiled child is missing.
  const sandbox = new ScriptSandbox(locateSandbox(), {
    timeoutMs: cfg.timeout,
    memoryBytes: cfg.memory,
    maxOutputBytes: cfg.max_output,
    maxQueries: cfg.max_queries,
  });
  let jobs: JobScheduler | undefined;
  const service = new ScriptService({
    store: new ScriptStore(d.data.systemDb),
    sandbox,
    hub: d.hub,
    owners: d.owners,
    users: d.identity.users,
    jobs: () => jobs,
    limits: { timeoutMs: cfg.timeout, maxRows: cfg.max_rows, maxConcurrent: cfg.max_concurrent },
    logger,
  });
  return {
    id: 'scripts',
    defineJobs(scheduler) {
      jobs = scheduler;
      scheduler.define(
        SCRIPT_JOB,
        async ({ data, signal }) => {
          const id = typeof data.script_id === 'string' ? data.script_id : undefined;
          if (!id) return { status: 'no script_id' };
          await service.runScheduled(id, signal);
          return { script_id: id, status: 'ok' };
        },
        { lockLifetime: `${Math.ceil((cfg.timeout * 3) / 1000) + 60}s`, concurrency: cfg.max_concurrent },
      );
    },
    async start() {
      await sandbox.probe();
      logger.info({ timeout_ms: cfg.timeout, memory: cfg.memory }, 'script sandbox ready');
      await service.reconcile();
    },
    routes: () => scriptRoutes(service, d.identity.users),
  };
}
