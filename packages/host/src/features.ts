import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { NavigationEntry, RouteDefinition } from '@aida/core';
import type { InstanceConfig } from './config/schema.js';
import type { DataContext } from './data/context.js';
import type { Identity } from './identity/identity.js';
import type { NotificationHub } from './notifications/hub.js';
import type { OwnerQueries } from './notifications/owner-query.js';
import type { JobScheduler } from './jobs/scheduler.js';

/**
 * A part of the host built from its own folder (alerts, scripts, the WebSocket gateway): its
 * routes, its jobs, and what it starts and stops. host.ts wires each one the same way.
 */
export interface HostFeature {
  readonly id: string;
  /** Defines the feature's jobs; called before the scheduler starts. */
  defineJobs?(jobs: JobScheduler): void;
  /** Called once the scheduler runs (e.g. to schedule each rule's recurring job). */
  start?(jobs: JobScheduler): Promise<void>;
  routes(): RouteDefinition[];
  /** Entries of the portal's main navigation, to the feature's pages. */
  navigation?: readonly NavigationEntry[];
  /** Serves the feature's non-HTTP endpoints (a WebSocket upgrade) on a server; returns how to detach. */
  attach?(server: Server, options: { mountPath?: string }): () => void;
  stop?(): Promise<void>;
}

/** What a feature is built from. */
export interface FeatureDeps {
  config: InstanceConfig;
  data: DataContext;
  identity: Identity;
  hub: NotificationHub;
  /** Queries run on a user's behalf with the permissions they have at run time. */
  owners: OwnerQueries;
  logger: Logger;
}
