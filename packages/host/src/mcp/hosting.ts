// Everything the host serves for AI agents, put together once at start: /mcp (sessions, tools),
// the OAuth 2.1 endpoints and discovery documents for hosted agents, the consent page and the
// admin's view of MCP clients. The host mounts `middleware` after authentication and before the
// CSRF guard, adds `routes` to its own, and wraps its body parser with `bodyParser`.
import { join } from 'node:path';
import type { Middleware } from 'koa';
import compose from 'koa-compose';
import type { Logger } from 'pino';
import { MCP_PAGED_MAX_CHARS, type RouteDefinition } from '@aida/core';
import type { InstanceConfig } from '../config/schema.js';
import type { DataContext } from '../data/context.js';
import type { ProfileService } from '../data/profiles/service.js';
import { DEFAULT_QUERY_LIMITS, QueryRunner } from '../data/query/runner.js';
import type { Identity } from '../identity/identity.js';
import { MCP_ADMIN_SECTION, mcpClientAdminRoutes } from '../oauth/admin.js';
import { consentRoutes } from '../oauth/consent.js';
import { oauthEndpoints, skipsBodyParsing } from '../oauth/endpoints.js';
import { metadataRoutes } from '../oauth/metadata.js';
import { AidaOAuthProvider } from '../oauth/provider.js';
import type { OAuthStore } from '../oauth/store.js';
import { mcpEndpoint } from './endpoint.js';
import { HostMcpTools } from './host-tools.js';
import { knowledgeBridge } from './knowledge.js';
import { createSessionServer } from './server.js';
import { McpSessions } from './sessions.js';
import { MemoryResultPages, SharedResultPages } from './kept-results.js';

export interface McpHostingDeps {
  config: InstanceConfig;
  data: DataContext;
  profiles: ProfileService;
  identity: Identity;
  oauthStore: OAuthStore;
  /** The routes plugins contributed (the memory plugin's, for the knowledge tools). */
  contributedRoutes: readonly RouteDefinition[];
  logger: Logger;
}

export interface McpHosting {
  middleware: Middleware;
  routes: RouteDefinition[];
  /** The host's body parser, skipping the OAuth endpoints (they read their own bodies). */
  bodyParser(parser: Middleware): Middleware;
  /** The admin sub-navigation entries to add. */
  adminSections: readonly { href: string; label: string; about: string }[];
  close(): Promise<void>;
}

const OFF: McpHosting = { middleware: (_ctx, next) => next(), routes: [], bodyParser: (p) => p, adminSections: [], close: async () => undefined };

export function mcpHosting(d: McpHostingDeps): McpHosting {
  const c = d.config.mcp;
  if (!c.enabled) return OFF;
  const logger = d.logger.child({ component: 'mcp' });
  const baseUrl = d.config.instance.base_url?.replace(/\/$/, '');
  // Its own runner: the sandbox, time budget and slots of POST /api/query, with a JSON cap at the paging limit.
  const runner = new QueryRunner(
    d.data,
    { ...DEFAULT_QUERY_LIMITS, ...d.data.queryLimits, maxJsonChars: MCP_PAGED_MAX_CHARS },
    join(d.data.dataDir, 'tmp', 'mcp-query'),
  );
  const knowledge = knowledgeBridge(d.contributedRoutes);
  // Several hosts (state on PostgreSQL): an agent's next request may reach any of them, so neither kept pages nor sessions live in one process.
  const shared = d.data.systemDb.dialect === 'postgres';
  const pages = shared ? new SharedResultPages(d.data.systemDb) : new MemoryResultPages();
  const tools = new HostMcpTools({ data: d.data, profiles: d.profiles, runner, budget: c.result_budget, pages, knowledge });
  const sessions = shared ? undefined : new McpSessions({ max: c.max_sessions, perUser: c.max_sessions_per_user, idleMs: c.session_idle }, logger);
  const close = async () => sessions?.closeAll();
  const provider = c.oauth.enabled
    ? new AidaOAuthProvider({
        store: d.oauthStore,
        db: d.data.systemDb,
        users: d.identity.users,
        tokens: d.identity.tokens,
        accessTtlMs: c.oauth.access_token_ttl,
        refreshTtlMs: c.oauth.refresh_token_ttl,
        logger,
      })
    : undefined;
  const endpoint = mcpEndpoint({
    sessions,
    newServer: (user) => createSessionServer({ tools, audit: d.identity.audit, logger, instanceName: d.config.instance.name }, user),
    oauth: provider,
    baseUrl,
    allowedOrigins: c.allowed_origins,
  });
  const routes = metadataRoutes({ baseUrl, instanceName: d.config.instance.name, provider });
  if (!provider) return { middleware: endpoint, routes, bodyParser: (p) => p, adminSections: [], close };
  return {
    middleware: compose([endpoint, oauthEndpoints({ provider, baseUrl, trustProxy: d.config.server.trust_proxy, rateLimits: d.identity.rateLimits })]),
    routes: [
      ...routes,
      ...consentRoutes({ provider, store: d.oauthStore, hasKnowledge: () => tools.hasKnowledge }),
      ...mcpClientAdminRoutes(d.oauthStore, d.identity.users),
    ],
    bodyParser: skipsBodyParsing,
    adminSections: [MCP_ADMIN_SECTION],
    close,
  };
}
