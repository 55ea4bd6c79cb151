import type { DashboardPanel, Mailer } from '@aida/core';
import type { DataContext } from '../data/context.js';
import type { ProfileService } from '../data/profiles/service.js';
import type { JobScheduler } from '../jobs/scheduler.js';
import type { SystemDbJobRunLog } from '../jobs/run-log.js';

export interface PluginSummary {
  id: string;
  kind: string;
  status: string;
  description?: string;
  package: string;
}

/**
 * What the portal's pages read and change: the same services the JSON API's routes use, so a
 * page and its API answer can never disagree. Built once by the host at start.
 */
export interface PortalContext {
  /** Registry, access rules, analytics tables, sync history, identity, connectors. */
  data: DataContext;
  profiles: ProfileService;
  jobs: { jobs(): JobScheduler | undefined; runs: SystemDbJobRunLog };
  /** `instance.base_url` without a trailing slash, when set: what `da login --server` should name behind a proxy. */
  baseUrl?: string;
  /** `catalog.list_restricted`: list tables a user cannot read by name and description, with "Request access". */
  listRestricted: boolean;
  plugins(): PluginSummary[];
  /** The boxes plugins added to the dashboard (ViewRegistry.addDashboardPanel). */
  dashboardPanels(): readonly (DashboardPanel & { pluginId: string })[];
  /**
   * The mailer a plugin registered (the email plugin) and the instance name mails are signed
   * with; undefined without one, and invitation and reset links are shown instead of mailed.
   */
  mail(): { mailer: Mailer; instanceName: string } | undefined;
}
