import { isAbsolute } from 'node:path';
import {
  PLUGIN_ID_PATTERN,
  assertIdentifier,
  ConflictError,
  formatDuration,
  InputError,
  type AuthProvider,
  type AuthProviderRegistry,
  type Connector,
  type ExtractReport,
  type ExtractWriter,
  type ConnectorRegistry,
  type DashboardPanel,
  type JobHandler,
  type JobOptions,
  type JobRegistry,
  type NavigationEntry,
  type RouteDefinition,
  type RouteRegistry,
  type Service,
  type ServiceRegistry,
  type ViewRegistry,
} from '@aida/core';
import type { JobOverride } from '../config/schema.js';

/** First path segments of the host's own pages and APIs: a plugin with one of these ids cannot add pages there. */
const HOST_PAGE_ROOTS = new Set([
  'api',
  'auth',
  'webhooks',
  'assets',
  'login',
  'dashboard',
  'catalog',
  'access',
  'account',
  'admin',
  'alerts',
  'mcp',
  'oauth',
  'ws',
]);

export interface OwnedConnector {
  pluginId: string;
  connector: Connector;
}
export interface OwnedRoute {
  pluginId: string;
  route: RouteDefinition;
}
export interface JobDefinition {
  pluginId: string;
  /** `<pluginId>:<job>` */
  name: string;
  handler: JobHandler;
  options: JobOptions & { enabled: boolean };
}

/**
 * Everything plugins contribute, collected at the root. Each plugin receives scoped views
 * of it (see `scoped()`), which stamp the plugin's id on what it adds.
 */
export class Contributions {
  readonly connectors = new Map<string, OwnedConnector>();
  readonly routes: OwnedRoute[] = [];
  readonly jobs = new Map<string, JobDefinition>();
  readonly viewFolders: { pluginId: string; path: string }[] = [];
  readonly navigation: (NavigationEntry & { pluginId: string })[] = [];
  /** Boxes plugins add to the dashboard, in the order the plugins initialised. */
  readonly dashboardPanels: (DashboardPanel & { pluginId: string })[] = [];
  readonly services: { pluginId: string; service: Service }[] = [];
  readonly authProviders: { pluginId: string; provider: AuthProvider }[] = [];
  /** Queues one run of a job; set by the host once the scheduler exists. */
  runNow: (name: string, data?: Record<string, unknown>) => Promise<void> = async (name) => {
    throw new Error(`jobs are not running yet; cannot queue ${name}`);
  };
  /** Commits a push connector's write (`SourceWrites.push`); set by the host once its state is open. */
  push: (source: string, write: (writer: ExtractWriter) => Promise<ExtractReport>) => Promise<ExtractReport> = async (source) => {
    throw new Error(`the host's state is not open yet; cannot write source ${source}`);
  };

  /** The registries one plugin sees. `jobOverrides` come from the plugin's entry in instance.yaml. */
  scoped(pluginId: string, jobOverrides: Record<string, JobOverride> = {}) {
    const connectors: ConnectorRegistry = {
      register: (connector) => {
        assertIdentifier(connector.source, `source name of a connector of plugin '${pluginId}'`);
        if (this.connectors.has(connector.source)) {
          throw new ConflictError(
            `source '${connector.source}' is registered twice (plugins '${this.connectors.get(connector.source)!.pluginId}' and '${pluginId}')`,
          );
        }
        this.connectors.set(connector.source, { pluginId, connector });
        for (const route of connector.routes ?? []) routes.add(route);
        return { push: (write) => this.push(connector.source, write) };
      },
      list: () => [...this.connectors.values()].map((c) => c.connector),
      get: (source) => this.connectors.get(source)?.connector,
    };
    const routes: RouteRegistry = {
      add: (route) => {
        const allowed = [`/api/${pluginId}/`, `/auth/${pluginId}/`, `/webhooks/${pluginId}`, `/${pluginId}/`];
        if (!allowed.some((p) => route.path === p.replace(/\/$/, '') || route.path.startsWith(p))) {
          throw new InputError(`plugin '${pluginId}' may only add routes under ${allowed.join(', ')}; got ${route.method} ${route.path}`);
        }
        if (HOST_PAGE_ROOTS.has(pluginId) && !route.path.startsWith('/api/') && !route.path.startsWith('/auth/') && !route.path.startsWith('/webhooks/')) {
          throw new InputError(`plugin '${pluginId}' cannot add pages at /${pluginId}: the host's own pages live there; got ${route.method} ${route.path}`);
        }
        this.routes.push({ pluginId, route });
      },
    };
    const jobs: JobRegistry = {
      define: <D>(name: string, handler: JobHandler<D>, options: JobOptions) => {
        if (!PLUGIN_ID_PATTERN.test(name))
          throw new InputError(`job name ${JSON.stringify(name)} of plugin '${pluginId}' must match ${PLUGIN_ID_PATTERN.source}`);
        const full = `${pluginId}:${name}`;
        const o = jobOverrides[name] ?? {};
        this.jobs.set(full, {
          pluginId,
          name: full,
          handler: handler as JobHandler,
          options: {
            schedule: o.schedule ?? options.schedule,
            // Job options state durations as text, as plugins write them; the override is already milliseconds.
            lockLifetime: o.lock_lifetime !== undefined ? formatDuration(o.lock_lifetime) : options.lockLifetime,
            concurrency: o.concurrency ?? options.concurrency,
            enabled: o.enabled ?? true,
          },
        });
      },
      now: (name, data) => this.runNow(`${pluginId}:${name}`, data),
    };
    const views: ViewRegistry = {
      addFolder: (path) => {
        if (!isAbsolute(path)) throw new InputError(`view folder of plugin '${pluginId}' must be an absolute path, got ${path}`);
        this.viewFolders.push({ pluginId, path });
      },
      addNavigation: (entry) => this.navigation.push({ ...entry, pluginId }),
      addDashboardPanel: (panel) => {
        // Only its own templates: a plugin must not render the host's or another plugin's.
        if (!panel.template.startsWith(`${pluginId}/`) || panel.template.includes('..')) {
          throw new InputError(`dashboard panel of plugin '${pluginId}' must name one of its own templates ('${pluginId}/<file>.njk'); got ${panel.template}`);
        }
        this.dashboardPanels.push({ ...panel, pluginId });
      },
    };
    const services: ServiceRegistry = {
      register: (service) => this.services.push({ pluginId, service }),
      list: () => this.services.map((s) => s.service),
    };
    const authProviders: AuthProviderRegistry = {
      register: (provider) => {
        this.authProviders.push({ pluginId, provider });
        for (const route of provider.routes) routes.add(route);
      },
      list: () => this.authProviders.map((a) => a.provider),
    };
    return { connectors, routes, jobs, views, services, authProviders };
  }
}
