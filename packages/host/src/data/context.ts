import type { Connector } from '@aida/core';
import type { Logger } from 'pino';
import type { AnalyticsDb } from '../analytics/analytics-db.js';
import type { SyncOrchestrator } from '../analytics/orchestrator.js';
import type { Identity } from '../identity/identity.js';
import type { JobScheduler } from '../jobs/scheduler.js';
import type { SystemDb } from '../state/system-db.js';
import type { SyncRepository } from '../state/repositories/sync.js';
import type { TableAccess } from './access.js';
import type { TableRegistry } from './registry.js';
import type { QueryLimits } from './query/runner.js';

/** What the data API's route factories need; built once by the host at start. */
export interface DataContext {
  dataDir: string;
  logger: Logger;
  systemDb: SystemDb;
  /** sync_state and sync_history. */
  sync: SyncRepository;
  analytics: AnalyticsDb;
  orchestrator: SyncOrchestrator;
  identity: Identity;
  registry: TableRegistry;
  access: TableAccess;
  /** Limits of POST /api/query from the instance config's `query:` section. */
  queryLimits: Partial<QueryLimits>;
  /** Every registered connector. */
  connectors: () => readonly Connector[];
  /** Re-applies per-table sync schedules after the registry changed. */
  tableSchedulesChanged: () => Promise<void>;
  /** Throws an InputError when a table's `sync_schedule` is not a valid cron, interval or duration. */
  validateSchedule: (schedule: string) => void;
  /** Present once jobs have started. */
  jobs: () => JobScheduler | undefined;
}
