import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { HostRole } from '../config/schema.js';
import type { TableRegistry } from '../data/registry.js';
import { runsJobs } from '../roles.js';
import type { StateChanges } from '../state/changes.js';
import type { AnalyticsDb } from './analytics-db.js';
import type { SyncOrchestrator } from './orchestrator.js';

interface AnalyticsParts {
  role: HostRole;
  analytics: AnalyticsDb;
  orchestrator: SyncOrchestrator;
  registry: TableRegistry;
  changes: StateChanges;
  logger: Logger;
}

/**
 * Opens the analytics database at start and follows the ones other hosts of the instance
 * announce. A host that runs jobs opens the last database, or rebuilds it when it is missing or
 * unreadable (e.g. after a crash); a web host builds nothing and deletes nothing: it serves the
 * worker's database, and none until the worker announces one.
 */
export async function openAnalytics(p: AnalyticsParts): Promise<void> {
  adoptAnnounced(p);
  if (!runsJobs(p.role)) {
    if (existsSync(p.analytics.path)) await p.analytics.swap();
    else p.logger.warn({ path: p.analytics.path }, 'no analytics database yet: serving none until the worker announces one');
    return;
  }
  await p.orchestrator.removeLeftovers();
  if (existsSync(p.analytics.path)) {
    try {
      await p.analytics.swap();
      await p.registry.registerExtracted(p.analytics.tables());
      // Files a crash left behind; only now are the open database's files held.
      await p.orchestrator.collectGarbage();
      return;
    } catch (e) {
      p.logger.warn({ err: e }, 'the analytics database could not be opened; rebuilding it');
    }
  }
  await p.orchestrator.rebuild();
  await p.orchestrator.collectGarbage();
}

/** Adopts each database another host announces, one after another (none are announced on DuckDB state). */
function adoptAnnounced(p: AnalyticsParts): void {
  let adopting: Promise<void> = Promise.resolve();
  p.changes.subscribe('analytics', () => {
    adopting = adopting
      .then(() => p.orchestrator.adopt())
      .catch((e: unknown) => p.logger.error({ err: e }, 'opening the analytics database another host built failed; the next announcement retries'));
    return adopting;
  });
}
