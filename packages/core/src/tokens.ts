import type { Logger } from 'pino';
import type { ConnectorRegistry } from './contracts/connector.js';
import type { AuthProviderRegistry } from './contracts/auth-provider.js';
import type { ServiceRegistry } from './contracts/service.js';
import type { Orchestrator } from './contracts/orchestrator.js';
import type { JobRegistry } from './contracts/jobs.js';
import type { RouteRegistry } from './contracts/routes.js';
import type { ViewRegistry } from './contracts/views.js';
import type { OneTimeTokens, RateLimits, SessionIssuer, UserDirectory } from './contracts/identity.js';
import type { AnalystNotes, PluginDatabase } from './contracts/database.js';
import type { DataFreshness, Notifications } from './contracts/notifications.js';

/**
 * A typed DI key. Underneath it is `Symbol.for('aida:<id>')`, so two copies of
 * @aida/core loaded side by side still agree on every token.
 */
export interface Token<T> {
  readonly id: string;
  readonly symbol: symbol;
  /** Phantom field carrying the type; never set at runtime. */
  readonly __type?: T;
}

const TOKEN_ID = /^[a-z][a-z0-9-]*(\.[a-zA-Z][a-zA-Z0-9-]*)+$/;

/** Creates a token; ids look like `core.logger` or `keboola.client`. */
export function createToken<T>(id: string): Token<T> {
  if (!TOKEN_ID.test(id)) throw new Error(`Invalid token id ${JSON.stringify(id)}: use '<owner>.<name>', e.g. 'keboola.client'`);
  return Object.freeze({ id, symbol: Symbol.for(`aida:${id}`) });
}

export type TokenType<K> = K extends Token<infer T> ? T : never;
export type ResolvedDeps<D extends Record<string, Token<unknown>>> = { [K in keyof D]: TokenType<D[K]> };

/** Runtime settings of the host a plugin may read. */
export interface HostInfo {
  readonly dataDir: string;
  readonly version: string;
  /** True for the built-in demo instance (no config file). */
  readonly demo: boolean;
  /** The instance's public origin (`instance.base_url`), for links sent outside; undefined when not configured. */
  readonly baseUrl: string | undefined;
}

/** The tokens the host provides to every plugin. Registries are scoped to the plugin that receives them. */
export const tokens = {
  logger: createToken<Logger>('core.logger'),
  host: createToken<HostInfo>('core.host'),
  connectors: createToken<ConnectorRegistry>('core.connectors'),
  authProviders: createToken<AuthProviderRegistry>('core.auth-providers'),
  services: createToken<ServiceRegistry>('core.services'),
  jobs: createToken<JobRegistry>('core.jobs'),
  routes: createToken<RouteRegistry>('core.routes'),
  views: createToken<ViewRegistry>('core.views'),
  orchestrator: createToken<Orchestrator>('core.orchestrator'),
  sessions: createToken<SessionIssuer>('core.sessions'),
  oneTimeTokens: createToken<OneTimeTokens>('core.one-time-tokens'),
  users: createToken<UserDirectory>('core.users'),
  rateLimits: createToken<RateLimits>('core.rate-limits'),
  /** The plugin's own tables in the system database (scoped: migrations are recorded per plugin). */
  database: createToken<PluginDatabase>('core.database'),
  analystNotes: createToken<AnalystNotes>('core.analyst-notes'),
  /** The notification hub: send a user a message, or register a channel that delivers them. */
  notifications: createToken<Notifications>('core.notifications'),
  /** How current the tables a user can read are. */
  freshness: createToken<DataFreshness>('core.freshness'),
} as const;
