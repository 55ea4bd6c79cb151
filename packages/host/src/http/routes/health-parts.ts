import type { ServiceHealth } from '@aida/core';
import type { AnalyticsDb } from '../../analytics/analytics-db.js';
import type { JobScheduler } from '../../jobs/scheduler.js';
import type { Contributions } from '../../plugins/registries.js';
import type { SystemDb } from '../../state/system-db.js';

/** A part's own health; a check that throws makes the part unhealthy with the error's message. */
async function probe(check: () => Promise<ServiceHealth> | ServiceHealth): Promise<ServiceHealth> {
  try {
    return await check();
  } catch (e) {
    return { status: 'unhealthy', detail: (e as Error).message };
  }
}

/** The health of every part of a host: system database, analytics, jobs, connectors and plugin services. */
export async function collectHealth(parts: {
  systemDb: SystemDb;
  analytics: AnalyticsDb;
  jobs: JobScheduler | undefined;
  contributions: Contributions;
}): Promise<Record<string, ServiceHealth>> {
  const out: Record<string, ServiceHealth> = {};
  out.system_db = await probe(async () => {
    await parts.systemDb.all('SELECT 1');
    return { status: 'healthy' };
  });
  out.analytics = parts.analytics.isOpen
    ? { status: 'healthy', detail: `${parts.analytics.tables().length} tables` }
    : { status: 'degraded', detail: 'the analytics database has not been built' };
  out.jobs = parts.jobs ? parts.jobs.health() : { status: 'unhealthy', detail: 'not started' };
  for (const [source, { connector }] of parts.contributions.connectors) {
    if (connector.health) out[`connector:${source}`] = await probe(() => connector.health!());
  }
  for (const { service, pluginId } of parts.contributions.services) out[`${pluginId}:${service.id}`] = await probe(() => service.health());
  return out;
}
