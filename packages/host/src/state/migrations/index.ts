import { initial } from './001-initial.js';
import { jobs } from './002-jobs.js';
import { identity } from './003-identity.js';
import { syncWarnings } from './004-sync-warnings.js';
import { jobRuns } from './005-job-runs.js';
import { pluginSchemas } from './006-plugin-schemas.js';
import { jobOutcomes } from './007-job-outcomes.js';
import { remoteQuery } from './008-remote-query.js';
import { mcpOauth } from './009-mcp-oauth.js';
import { notifications } from './010-notifications.js';
import { alerts } from './011-alerts.js';
import { scripts } from './012-scripts.js';
import { dropUpstreamNotificationTables } from './013-drop-upstream-notification-tables.js';
import { rateLimits } from './014-rate-limits.js';
import { oauthPending } from './015-oauth-pending.js';
import type { Migration } from './runner.js';

/** Every migration, in order. Append new ones; never edit a released one. */
export const migrations: readonly Migration[] = [
  initial,
  jobs,
  identity,
  syncWarnings,
  jobRuns,
  pluginSchemas,
  jobOutcomes,
  remoteQuery,
  mcpOauth,
  notifications,
  alerts,
  scripts,
  dropUpstreamNotificationTables,
  rateLimits,
  oauthPending,
];
export const SCHEMA_VERSION = Math.max(...migrations.map((m) => m.version));
export { migrate } from './runner.js';
