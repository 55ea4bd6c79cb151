/**
 * The host's request pipeline: every route of the core and the features, the page renderer,
 * and the middleware in the order requests meet it. Built by the host once plugins have
 * registered their contributions (`HostRuntime.start`).
 */
import { resolve } from 'node:path';
import type { Middleware } from 'koa';
import compose from 'koa-compose';
import { bodyParser } from '@koa/bodyparser';
import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import { mailerToken, type Mailer, type RouteDefinition, type SecretRedactor, type ServiceHealth } from '@aida/core';
import type { InstanceConfig } from '../config/schema.js';
import type { DataContext } from '../data/context.js';
import type { ProfileService } from '../data/profiles/service.js';
import { dataRoutes } from '../data/routes.js';
import type { HostFeature } from '../features.js';
import { accessRequestRoutes } from '../identity/routes/access-requests.js';
import { auditMiddleware } from '../identity/audit.js';
import type { Identity } from '../identity/identity.js';
import { auditRoutes } from '../identity/routes/audit.js';
import { authRoutes } from '../identity/routes/auth.js';
import { pageRoutes, PASSWORD_PROVIDER, setupPageRoutes } from '../identity/routes/pages.js';
import { permissionRoutes } from '../identity/routes/permissions.js';
import { userRoutes } from '../identity/routes/users.js';
import { authenticate } from '../identity/sessions.js';
import { jobAdminRoutes } from '../jobs/admin-routes.js';
import type { SystemDbJobRunLog } from '../jobs/run-log.js';
import type { JobScheduler } from '../jobs/scheduler.js';
import type { McpHosting } from '../mcp/hosting.js';
import { notificationRoutes } from '../notifications/routes.js';
import type { NotificationStore } from '../notifications/store.js';
import type { Contributions } from '../plugins/registries.js';
import { ADMIN_SECTIONS } from '../portal/admin/index.js';
import { portalAssets } from '../portal/assets.js';
import type { PluginSummary } from '../portal/context.js';
import { csrfGuard, csrfToken } from '../portal/csrf.js';
import { pageSecurityHeaders } from '../portal/headers.js';
import { portalRoutes } from '../portal/routes.js';
import { redactErrorResponses } from '../secrets/redact-responses.js';
import { HOST_VERSION, HOST_VIEWS_DIR } from '../version.js';
import { errorMiddleware } from './errors.js';
import { buildOpenApi, openApiRoutes } from './openapi.js';
import { buildRouterFrom, createPageRender } from './router.js';
import { healthRoute } from './routes/health.js';
import { unlessWebhook } from './webhook-body.js';

/** What the pipeline is built from: the host's services once it has started them. */
export interface PipelineParts {
  config: InstanceConfig;
  logger: Logger;
  secrets: SecretRedactor;
  /** The host's container, where a plugin may have registered a mailer. */
  container: DependencyContainer;
  contributions: Contributions;
  identity: Identity;
  data: DataContext;
  profiles: ProfileService;
  mcp: McpHosting;
  notificationStore: NotificationStore;
  features: readonly HostFeature[];
  jobs: { jobs(): JobScheduler | undefined; runs: SystemDbJobRunLog };
  health: { schemaVersion(): number; services(): Promise<Record<string, ServiceHealth>>; plugins(): PluginSummary[] };
}

/** audit → redaction → page headers → errors → body → authentication → MCP and OAuth → CSRF → routes; audit sits outside so it sees final statuses. */
export function buildPipeline(p: PipelineParts): Middleware {
  const { config, identity: id, data, profiles, mcp, contributions } = p;
  const overrideDir = config.views_dir ? resolve(config.views_dir) : undefined;
  const assets = portalAssets(HOST_VIEWS_DIR, overrideDir);
  const providers = () => [PASSWORD_PROVIDER, ...contributions.authProviders.map((a) => a.provider)];
  const core: RouteDefinition[] = [
    healthRoute({
      version: HOST_VERSION,
      schemaVersion: p.health.schemaVersion,
      services: p.health.services,
      plugins: () => p.health.plugins().map(({ id, kind, status }) => ({ id, kind, status })),
    }),
    ...portalRoutes({
      data,
      profiles,
      jobs: p.jobs,
      baseUrl: config.instance.base_url?.replace(/\/$/, ''),
      listRestricted: config.catalog.list_restricted,
      plugins: p.health.plugins,
      dashboardPanels: () => contributions.dashboardPanels,
      mail: () =>
        p.container.isRegistered(mailerToken.symbol, true)
          ? { mailer: p.container.resolve<Mailer>(mailerToken.symbol), instanceName: config.instance.name }
          : undefined,
    }),
    ...assets.routes,
    ...authRoutes(id),
    ...userRoutes(id),
    ...permissionRoutes(id),
    ...accessRequestRoutes(id, data),
    ...auditRoutes(id),
    ...jobAdminRoutes(p.jobs),
    ...pageRoutes(providers),
    ...setupPageRoutes(id),
    ...dataRoutes(data, { profiles }),
    ...mcp.routes,
    ...notificationRoutes(p.notificationStore),
    ...p.features.flatMap((f) => f.routes()),
    ...openApiRoutes(() =>
      buildOpenApi([...core, ...contributions.routes.map((r) => r.route)], { title: `${config.instance.name} API`, version: HOST_VERSION }),
    ),
  ];
  const render = createPageRender(contributions, {
    hostViews: HOST_VIEWS_DIR,
    overrideDir,
    instanceName: config.instance.name,
    assetVersion: assets.version,
    csrf: (ctx) => csrfToken(id.tokens, ctx),
    globals: { adminSections: [...ADMIN_SECTIONS, ...mcp.adminSections] },
  });
  const router = buildRouterFrom(core, contributions, render);
  return compose([
    auditMiddleware(id.audit),
    redactErrorResponses(p.secrets),
    pageSecurityHeaders(),
    errorMiddleware(p.logger, render),
    unlessWebhook(
      mcp.bodyParser(
        bodyParser({
          enableTypes: ['json', 'form'],
          parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
          jsonLimit: config.server.json_body_limit,
          formLimit: '100kb',
        }) as Middleware,
      ),
    ),
    authenticate(id.users, id.pats, id.tokens),
    // Bearer tokens and client credentials, never cookies: ahead of the CSRF guard.
    mcp.middleware,
    csrfGuard(id.tokens),
    router.routes() as unknown as Middleware,
    router.allowedMethods({ throw: true }) as unknown as Middleware,
  ]);
}
