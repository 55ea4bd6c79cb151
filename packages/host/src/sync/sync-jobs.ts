import type { SyncResult } from '@aida/core';
import type { AnalyticsDb } from '../analytics/analytics-db.js';
import { SYNC_JOB } from '../data/sync-routes.js';
import type { JobScheduler } from '../jobs/scheduler.js';
import type { Contributions } from '../plugins/registries.js';
import type { ResolvedPlugin } from '../plugins/resolve.js';
import type { TableRegistry } from '../data/registry.js';
import { sourceOfTable } from '../data/table-source.js';
import type { Logger } from 'pino';

type Sync = (source: string, tables: readonly string[] | undefined, signal: AbortSignal) => Promise<SyncResult>;

/**
 * The host's sync jobs: `<pluginId>:sync` for every plugin with connectors (one recurring
 * run per source when the instance schedules it), and `aida:sync`, which POST
 * /api/sync/trigger queues.
 */
export function defineSyncJobs(o: {
  contributions: Contributions;
  plugins: readonly ResolvedPlugin[];
  analytics: AnalyticsDb;
  registry: TableRegistry;
  sync: Sync;
}): void {
  const { contributions } = o;
  const owners = new Set([...contributions.connectors.values()].map((c) => c.pluginId));
  for (const pluginId of owners) {
    const plugin = o.plugins.find((p) => p.id === pluginId)!;
    contributions.scoped(pluginId, plugin.jobs).jobs.define<{ source?: string; tables?: string[] }>(
      'sync',
      async ({ data, signal }) => {
        const sources = data.source
          ? [data.source]
          : [...contributions.connectors.values()].filter((c) => c.pluginId === pluginId).map((c) => c.connector.source);
        // One source failing never stops the others; each outcome lands in sync_history.
        for (const s of sources) await o.sync(s, data.tables?.length ? data.tables : undefined, signal);
      },
      // Runs of different tables (or sources) go side by side: extract writers of one source
      // commit without undoing each other, and refuse a table another run is writing.
      { lockLifetime: '1h', concurrency: 4 },
    );
  }
  contributions.scoped('aida').jobs.define<{ sources?: string[]; tables?: string[] | null }>(
    SYNC_JOB.slice('aida:'.length),
    async ({ data, signal }) => {
      const sources = data.sources ?? [...contributions.connectors.keys()];
      const known = new Set(contributions.connectors.keys());
      for (const source of sources) {
        if (signal.aborted) return;
        const mine = data.tables?.filter((t) => sourceOfTable(t, { analytics: o.analytics, registry: o.registry, sources: known }) === source);
        await o.sync(source, mine?.length ? mine : undefined, signal);
      }
    },
    { lockLifetime: '2h', concurrency: 1 },
  );
}

/** Defines every contributed job on the scheduler and registers the recurring ones the instance scheduled. */
export async function scheduleContributedJobs(jobs: JobScheduler, contributions: Contributions): Promise<void> {
  for (const def of contributions.jobs.values()) jobs.define(def.name, def.handler, def.options);
  for (const def of contributions.jobs.values()) {
    if (!def.options.schedule || !def.options.enabled) continue;
    const perSource = [...contributions.connectors.values()].filter((c) => c.pluginId === def.pluginId && def.name === `${def.pluginId}:sync`);
    if (perSource.length) {
      for (const c of perSource) await jobs.every(def.name, def.options.schedule, { source: c.connector.source }, { source: c.connector.source });
    } else {
      await jobs.every(def.name, def.options.schedule);
    }
  }
}

/**
 * Keeps one recurring `<pluginId>:sync` run per registered table that has a `sync_schedule`
 * (keyed by table, so one table's sync never waits for a whole source), and removes the runs
 * of tables whose schedule was cleared or which were deleted.
 */
export async function applyTableSchedules(o: {
  jobs: JobScheduler;
  contributions: Contributions;
  registry: TableRegistry;
  analytics: AnalyticsDb;
  logger: Logger;
}): Promise<void> {
  const { contributions } = o;
  const desired = new Map<string, { job: string; source: string; schedule: string }>();
  const sources = new Set(contributions.connectors.keys());
  for (const e of o.registry.list()) {
    if (!e.sync_schedule) continue;
    const source = sourceOfTable(e.id, { analytics: o.analytics, registry: o.registry, sources });
    const owner = source ? contributions.connectors.get(source) : undefined;
    if (!owner || !source) {
      o.logger.warn({ table: e.id }, `table '${e.id}' has a sync schedule but no connector provides it`);
      continue;
    }
    desired.set(e.id, { job: `${owner.pluginId}:sync`, source, schedule: e.sync_schedule });
  }
  const jobNames = new Set([...contributions.connectors.values()].map((c) => `${c.pluginId}:sync`));
  for (const job of jobNames) {
    for (const data of await o.jobs.recurringSchedules(job)) {
      const table = typeof data.table === 'string' ? data.table : undefined;
      if (table && desired.get(table)?.job !== job) await o.jobs.cancelEvery(job, { table });
    }
  }
  for (const [table, d] of desired) await o.jobs.every(d.job, d.schedule, { source: d.source, tables: [table], table }, { table });
}
