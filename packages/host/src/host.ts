import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import Koa from 'koa';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { container as globalContainer, type DependencyContainer } from 'tsyringe';
import {
  SecretRedactor,
  tokens,
  UnavailableError,
  type AidaHost,
  type Token,
  type AnyPlugin,
  type ConfigIssue,
  type HostInfo,
  type ServiceHealth,
  type SyncResult,
} from '@aida/core';
import { AnalyticsDb } from './analytics/analytics-db.js';
import { SyncOrchestrator } from './analytics/orchestrator.js';
import { JobScheduler } from './jobs/scheduler.js';
import { SystemDbJobRunLog } from './jobs/run-log.js';
import { localFilesPlugin } from './local-files/plugin.js';
import { ensureDemoFiles } from './demo/dataset.js';
import { Contributions } from './plugins/registries.js';
import { orderPlugins } from './plugins/order.js';
import { resolveInstance, type InlinePluginEntry, type ResolvedPlugin } from './plugins/resolve.js';
import { overrideMap, type TokenOverride } from './plugins/overrides.js';
import type { InstanceConfig } from './config/schema.js';
import { hostRole, refuseWebPush, runsJobs } from './roles.js';
import { openAnalytics } from './analytics/open-analytics.js';
import { limitTable } from './identity/rate-limits.js';
import { openRateLimits } from './identity/shared-rate-limits.js';
import { withBuildLock } from './analytics/build-lock.js';
import { migrate, migrations } from './state/migrations/index.js';
import { stateUrl } from './state/config.js';
import { jobsConfigFor } from './jobs/config.js';
import type { StateChanges } from './state/changes.js';
import { openStateChanges } from './state/open-changes.js';
import { openSystemDb } from './state/open.js';
import type { SystemDb } from './state/system-db.js';
import { pluginDatabase } from './state/plugin-database.js';
import { analystNotes } from './data/analyst-notes.js';
import { SyncRepository } from './state/repositories/sync.js';
import { SyncService } from './sync/sync-service.js';
import { buildKoaApp, type HttpRouting } from './http/app.js';
import { buildPipeline } from './http/pipeline.js';
import { Identity } from './identity/identity.js';
import { TableAccess } from './data/access.js';
import { TableRegistry } from './data/registry.js';
import type { DataContext } from './data/context.js';
import { limitsFromConfig } from './data/query/limits.js';
import { BackgroundProfiling } from './data/profiles/background.js';
import { createProfileService, type ProfileService } from './data/profiles/service.js';
import { applyTableSchedules, defineSyncJobs, scheduleContributedJobs } from './sync/sync-jobs.js';
import { initPlugins } from './plugins/init.js';
import { collectHealth } from './http/routes/health-parts.js';
import { HOST_VERSION } from './version.js';
import { createLogger, logFormat } from './logging/logger.js';
import { redactLogs } from './secrets/redact-logs.js';
import { mcpHosting, type McpHosting } from './mcp/hosting.js';
import { OAuthStore } from './oauth/store.js';
import { startHostControl } from './admin/host-control.js';
import type { ControlServer } from './admin/control-server.js';
import { NotificationStore } from './notifications/store.js';
import { NotificationHub } from './notifications/hub.js';
import { RegistryFreshness } from './notifications/freshness.js';
import { OwnerQueries } from './notifications/owner-query.js';
import { DEFAULT_QUERY_LIMITS, QueryRunner } from './data/query/runner.js';
import type { HostFeature } from './features.js';
import { hostFeatures } from './feature-list.js';

export interface CreateHostOptions {
  /** The instance config as parsed from YAML (validated here). Omit for an empty instance. */
  config?: unknown;
  /** Problems found while loading the config file (unset env vars), reported with the rest. */
  configIssues?: ConfigIssue[];
  /** Plugins passed as objects, for embedding and tests. */
  plugins?: readonly (AnyPlugin | InlinePluginEntry)[];
  /** Data directory; defaults to the config's `data_dir`, then AIDA_DATA_DIR, then `./data`. */
  dataDir?: string;
  /** Run the demo instance: the local-files connector over the bundled e-commerce dataset. */
  demo?: boolean;
  logger?: Logger;
  /** Folder plugin packages are resolved from (the instance's folder); defaults to the working directory. */
  cwd?: string;
  /**
   * `[token, value]` pairs that replace what the host or a plugin would provide (a test's
   * stub clock, mailer or HTTP client). Registered in the root after the host's own tokens
   * and before any plugin initialises; a plugin that depends on the token sees the value.
   */
  overrides?: readonly TokenOverride[];
  /** What this process does (all, web, worker); over the config's `server.role`. */
  role?: string;
}

export interface Host extends AidaHost {
  readonly config: InstanceConfig;
  /** Masks every line it writes with `secrets`. */
  readonly logger: Logger;
  /** The values of the config's declared secrets, masked in logs, error answers and start failures. */
  readonly secrets: SecretRedactor;
  /** Plugins in the order they were initialised. */
  readonly plugins: readonly ResolvedPlugin[];
  readonly analytics: AnalyticsDb;
  /** Jobs, once started. */
  readonly jobs: JobScheduler | undefined;
  readonly systemDb: SystemDb | undefined;
  /** The demo admin created on this start (first start of a demo data dir only), for the console. */
  readonly demoAdmin: { email: string; password: string } | undefined;
}

const HOST_TOKENS = new Set(Object.values(tokens).map((t) => t.symbol));

/** Validates config and plugins (all problems at once) and returns a host that is not started yet. */
export async function createHost(options: CreateHostOptions = {}): Promise<Host> {
  const inline = [...(options.plugins ?? [])];
  const dataDirHint = options.dataDir ?? (options.config as { data_dir?: string } | undefined)?.data_dir ?? process.env.AIDA_DATA_DIR ?? './data';
  const dataDir = resolve(dataDirHint);
  if (options.demo) inline.unshift({ plugin: localFilesPlugin, config: { sources: [{ name: 'demo', path: join(dataDir, 'demo-files') }] } });
  const secrets = new SecretRedactor();
  const { config, plugins } = await resolveInstance(options.config, inline, { cwd: options.cwd ?? process.cwd(), extraIssues: options.configIssues, secrets });
  const overrides = overrideMap(options.overrides ?? []);
  // An overridden token is there before any plugin: its dependants need no provider, nor to wait for one.
  const ordered = orderPlugins(plugins, new Set([...HOST_TOKENS, ...overrides.keys()]));
  const logger = redactLogs(
    options.logger ??
      createLogger({ level: process.env.AIDA_LOG_LEVEL ?? config.log.level, format: logFormat(process.env.AIDA_LOG_FORMAT) ?? config.log.format }),
    secrets,
  );
  const role = hostRole(config, options.role);
  return new HostRuntime({ ...config, server: { ...config.server, role } }, ordered, dataDir, logger, secrets, Boolean(options.demo), overrides);
}

class HostRuntime implements Host {
  readonly koa: Koa;
  readonly container: DependencyContainer;
  readonly analytics: AnalyticsDb;
  readonly orchestrator: SyncOrchestrator;
  jobs: JobScheduler | undefined;
  systemDb: SystemDb | undefined;
  /** Change events to and from the other hosts of the instance (none with the embedded backend). */
  changes: StateChanges | undefined;
  demoAdmin: { email: string; password: string } | undefined;
  private readonly contributions = new Contributions();
  private readonly routing: HttpRouting = { handler: null };
  identity: Identity | undefined;
  private syncRepository: SyncRepository | undefined;
  registry: TableRegistry | undefined;
  access: TableAccess | undefined;
  private readonly pluginStatus = new Map<string, string>();
  private readonly servers = new Set<Server>();
  /** Profiling after rebuilds, which stop() waits for before closing databases. */
  private backgroundProfiling: BackgroundProfiling | undefined;
  private syncService: SyncService | undefined;
  private oauthStore: OAuthStore | undefined;
  /** /mcp, its sessions and the OAuth endpoints of hosted agents; built with the pipeline. */
  private mcp: McpHosting | undefined;
  private notificationStore: NotificationStore | undefined;
  private profiles: ProfileService | undefined;
  private hub: NotificationHub | undefined;
  private features: HostFeature[] = [];
  private readonly detachers = new Map<Server, (() => void)[]>();
  private jobRunLog: SystemDbJobRunLog | undefined;
  private schemaVersion = 0;
  /** The control socket operator commands reach a live host through (`aida backup`). */
  private control: ControlServer | undefined;
  private state: 'created' | 'starting' | 'started' | 'stopping' | 'stopped' = 'created';

  constructor(
    readonly config: InstanceConfig,
    readonly plugins: readonly ResolvedPlugin[],
    readonly dataDir: string,
    readonly logger: Logger,
    readonly secrets: SecretRedactor,
    private readonly demo: boolean,
    private readonly overrides: ReadonlyMap<symbol, unknown>,
  ) {
    // A root container per host, never the global one: two hosts in one process stay apart.
    this.container = globalContainer.createChildContainer();
    this.analytics = new AnalyticsDb(join(dataDir, 'analytics', 'server.duckdb'), logger, [join(dataDir, 'extracts')]);
    this.koa = buildKoaApp({ logger, routing: this.routing, trustProxy: config.server.trust_proxy, slowRequestMs: config.server.slow_request_ms });
    this.orchestrator = new SyncOrchestrator({
      dataDir,
      analytics: this.analytics,
      logger: logger.child({ component: 'orchestrator' }),
      recordState: async (states) => {
        await this.syncRepo().recordRebuild(states);
        // Tables a connector extracts are registered automatically (public until an admin says otherwise).
        await this.registry?.registerExtracted(this.analytics.tables());
      },
      sourceTypeOf: (source) => this.contributions.connectors.get(source)?.connector.sourceType ?? 'unknown',
      buildLock: (build) => withBuildLock(this.systemDb, `${config.state.schema}:analytics`, build),
      announce: () => this.changes?.publish({ topic: 'analytics' }),
      retainReplacedMs: config.state.backend === 'postgres' ? config.analytics.shared_file_retention : 0,
      collectsFiles: runsJobs(config.server.role),
    });
    for (const p of plugins) this.pluginStatus.set(p.id, 'loaded');
  }

  async start(): Promise<void> {
    if (this.state !== 'created') throw new Error(`host cannot start: it is ${this.state}`);
    this.state = 'starting';
    try {
      await this.openState();
      // With the state on PostgreSQL several hosts share the data dir and no one of them owns it:
      // operator commands go to PostgreSQL itself (docs/deploy.md).
      if (this.config.state.backend === 'duckdb')
        this.control = await startHostControl({
          dataDir: this.dataDir,
          logger: this.logger,
          systemDb: this.systemDb!,
          analytics: this.analytics,
          schemaVersion: () => this.schemaVersion,
        });
      this.registerHostTokens();
      await this.initPlugins();
      this.features = this.buildFeatures();
      for (const entry of this.features.flatMap((f) => f.navigation ?? [])) this.contributions.navigation.push({ ...entry, pluginId: 'aida' });
      await openAnalytics({
        role: this.config.server.role,
        analytics: this.analytics,
        orchestrator: this.orchestrator,
        registry: this.registry!,
        changes: this.changes!,
        logger: this.logger,
      });
      if (!runsJobs(this.config.server.role)) this.contributions.push = refuseWebPush;
      await this.startJobs();
      for (const { service } of this.contributions.services) await service.start();
      this.routing.handler = this.buildPipeline();
      this.state = 'started';
      if (this.demo && runsJobs(this.config.server.role)) await this.firstDemoSync();
      await this.warnUnhealthyParts();
      this.logger.info({ data_dir: this.dataDir, plugins: this.plugins.map((p) => p.id), schema_version: this.schemaVersion }, 'AIDA host started');
    } catch (e) {
      this.logger.error({ err: e }, 'host failed to start');
      await this.stop();
      // The caller prints this (aida serve writes it to stderr): a plugin's message may quote a secret.
      throw this.secrets.redactError(e);
    }
  }

  /**
   * Resolves once the work the host does in the background is over: the profiling catch-up
   * after start and the profiling after each rebuild. For measurements and embedders that want
   * a settled host; a rebuild after this starts more.
   */
  async idle(): Promise<void> {
    await this.backgroundProfiling?.idle();
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    this.state = 'stopping';
    // First: a backup reading the snapshot must fail, not archive an instance half stopped.
    await this.control?.close();
    this.routing.handler = null;
    // Upgraded sockets (the WebSocket gateway) hold a server open: close them before waiting for it.
    for (const detach of [...this.detachers.values()].flat()) detach();
    this.detachers.clear();
    await Promise.all([...this.servers].map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.servers.clear();
    await this.mcp?.close();
    this.profiles?.close();
    for (const f of [...this.features].reverse())
      await f.stop?.().catch((e: unknown) => this.logger.warn({ err: e, feature: f.id }, 'stopping a feature failed'));
    await this.jobs?.stop().catch((e: unknown) => this.logger.warn({ err: e }, 'stopping jobs failed'));
    await this.backgroundProfiling?.stop();
    for (const { service } of [...this.contributions.services].reverse()) {
      await service.stop().catch((e) => this.logger.warn({ err: e, service: service.id }, 'stopping a service failed'));
    }
    await this.syncService?.stop();
    this.analytics.close();
    await this.orchestrator.settled();
    await this.orchestrator.close();
    await this.identity?.close();
    await this.changes?.close();
    await this.systemDb?.close();
    this.state = 'stopped';
  }

  async listen(port = 0, hostname = '127.0.0.1'): Promise<{ url: string; port: number; close(): Promise<void> }> {
    const server = createServer(this.koa.callback());
    this.attach(server);
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(port, hostname, () => res());
    });
    this.servers.add(server);
    const actual = (server.address() as AddressInfo).port;
    const shown = hostname === '0.0.0.0' || hostname === '::' ? 'localhost' : hostname;
    return {
      url: `http://${shown}:${actual}`,
      port: actual,
      close: () => {
        this.servers.delete(server);
        for (const detach of this.detachers.get(server) ?? []) detach();
        this.detachers.delete(server);
        return new Promise<void>((r) => server.close(() => r()));
      },
    };
  }

  attach(server: Server, options: { mountPath?: string } = {}): void {
    if (this.detachers.has(server)) return;
    this.detachers.set(
      server,
      this.features.flatMap((f) => (f.attach ? [f.attach(server, options)] : [])),
    );
  }

  resolve<T>(token: Token<T>): T {
    return this.container.resolve<T>(token.symbol);
  }

  connector(source: string) {
    return this.contributions.connectors.get(source)?.connector;
  }

  syncSource(source: string, tables?: readonly string[], signal?: AbortSignal): Promise<SyncResult> {
    if (!this.syncService) throw new UnavailableError('the host is not started');
    return this.syncService.syncSource(source, tables, signal);
  }

  /** Run history of the jobs, in the system database. */
  private jobRuns(): SystemDbJobRunLog {
    this.jobRunLog ??= new SystemDbJobRunLog(this.systemDb!);
    return this.jobRunLog;
  }

  private syncRepo(): SyncRepository {
    if (!this.syncRepository) throw new UnavailableError('the system database is not open');
    return this.syncRepository;
  }

  private async openState(): Promise<void> {
    for (const d of ['state', 'analytics', 'extracts']) await mkdir(join(this.dataDir, d), { recursive: true });
    this.systemDb = await openSystemDb(this.config.state, this.dataDir);
    this.changes = await openStateChanges(this.config.state, this.logger.child({ component: 'changes' }));
    const outcome = await migrate(this.systemDb, migrations);
    this.schemaVersion = outcome.to;
    if (outcome.applied.length) this.logger.info({ applied: outcome.applied }, 'system database migrated');
    const limit = this.config.auth.signin_limit;
    const limits = limitTable({ perAccount: limit.per_account, perIp: limit.per_ip, windowMs: limit.window });
    const rateLimits = await openRateLimits(this.systemDb, this.changes, limits, this.logger.child({ component: 'rate-limits' }));
    this.identity = await Identity.open(this.systemDb, this.dataDir, this.logger, {
      sessionLifetimeSeconds: this.config.auth.session_lifetime / 1000,
      changes: this.changes,
      rateLimits,
    });
    await this.identity.ensureEnvAdmin();
    this.registry = new TableRegistry(this.systemDb, this.changes);
    await this.registry.load();
    this.access = new TableAccess(this.registry, this.identity.permissions);
    this.oauthStore = await OAuthStore.open(this.systemDb, this.changes);
    if (this.demo) this.demoAdmin = await this.identity.ensureDemoAdmin();
    this.syncRepository = new SyncRepository(this.systemDb);
    this.syncService = new SyncService({
      dataDir: this.dataDir,
      connector: (s) => this.contributions.connectors.get(s)?.connector,
      sync: this.syncRepo(),
      orchestrator: this.orchestrator,
      logger: this.logger.child({ component: 'sync' }),
      rebuildAfterSync: this.config.analytics.rebuild_after_sync,
      retention: this.analytics.leases,
      redact: (text) => this.secrets.redact(text),
      pushRebuildDelayMs: this.config.analytics.push_rebuild_delay,
      pushHistoryIntervalMs: this.config.analytics.push_history_interval,
    });
    this.notificationStore = new NotificationStore(this.systemDb);
    this.hub = new NotificationHub(this.notificationStore, this.logger.child({ component: 'notifications' }));
    const syncService = this.syncService;
    this.contributions.push = (source, write) => syncService.push(source, write);
  }

  private registerHostTokens(): void {
    const info: HostInfo = { dataDir: this.dataDir, version: HOST_VERSION, demo: this.demo, baseUrl: this.config.instance.base_url?.replace(/\/$/, '') };
    this.container.register(tokens.logger.symbol, { useValue: this.logger });
    this.container.register(tokens.host.symbol, { useValue: info });
    this.container.register(tokens.orchestrator.symbol, { useValue: this.orchestrator });
    const id = this.identity!;
    this.container.register(tokens.sessions.symbol, { useValue: id.sessions });
    this.container.register(tokens.oneTimeTokens.symbol, { useValue: id.oneTimeTokens });
    this.container.register(tokens.users.symbol, { useValue: id.users });
    this.container.register(tokens.rateLimits.symbol, { useValue: id.rateLimits });
    this.container.register(tokens.notifications.symbol, { useValue: this.hub! });
    this.container.register(tokens.freshness.symbol, {
      useValue: new RegistryFreshness({ users: id.users, registry: this.registry!, access: this.access!, sync: this.syncRepo() }),
    });
    this.container.register(tokens.analystNotes.symbol, { useValue: analystNotes(this.dataDir, (userId) => id.users.get(userId)?.email) });
    for (const [symbol, value] of this.overrides) this.container.register(symbol, { useValue: value });
  }

  private async initPlugins(): Promise<void> {
    await initPlugins({
      plugins: this.plugins,
      root: this.container,
      contributions: this.contributions,
      logger: this.logger,
      status: this.pluginStatus,
      overrides: this.overrides,
      database: (pluginId) => pluginDatabase(this.systemDb!, pluginId),
    });
  }

  private async startJobs(): Promise<void> {
    defineSyncJobs({
      contributions: this.contributions,
      plugins: this.plugins,
      analytics: this.analytics,
      registry: this.registry!,
      sync: (s, t, signal) => this.syncSource(s, t, signal),
    });
    this.jobs = await JobScheduler.create({
      config: jobsConfigFor(this.config.jobs, this.config.state, stateUrl(this.config.state)),
      processes: runsJobs(this.config.server.role),
      systemDb: this.systemDb!,
      logger: this.logger,
      instanceName: this.config.instance.name,
      runLog: this.jobRuns(),
    });
    this.contributions.runNow = async (name, data) => {
      await this.jobs!.now(name, data);
    };
    await scheduleContributedJobs(this.jobs, this.contributions);
    for (const f of this.features) f.defineJobs?.(this.jobs);
    await this.jobs.start();
    await this.applyTableSchedules();
    for (const f of this.features) await f.start?.(this.jobs);
  }

  private applyTableSchedules(): Promise<void> {
    if (!this.jobs) return Promise.resolve();
    return applyTableSchedules({
      jobs: this.jobs,
      contributions: this.contributions,
      registry: this.registry!,
      analytics: this.analytics,
      logger: this.logger,
    });
  }

  private async firstDemoSync(): Promise<void> {
    const created = await ensureDemoFiles(join(this.dataDir, 'demo-files'));
    if (!created && existsSync(join(this.dataDir, 'extracts', 'demo', 'extract.duckdb'))) return;
    const result = await this.syncSource('demo');
    if (result.error) this.logger.error(`demo extraction failed: ${result.error}`);
  }

  /** Alerts, scripts, the WebSocket gateway: built once plugins have registered their channels. */
  private buildFeatures(): HostFeature[] {
    const data = this.dataContext();
    // Its own runner, so alerts and scripts never take the slots analysts' queries wait for.
    const runner = new QueryRunner(data, { ...DEFAULT_QUERY_LIMITS, ...data.queryLimits, maxConcurrent: 2 }, join(this.dataDir, 'tmp', 'owner-query'));
    return hostFeatures({
      config: this.config,
      data,
      identity: this.identity!,
      hub: this.hub!,
      owners: new OwnerQueries({ runner, users: this.identity!.users }),
      logger: this.logger,
    });
  }

  /** What the data API's routes need. */
  private dataContext(): DataContext {
    return {
      dataDir: this.dataDir,
      logger: this.logger,
      systemDb: this.systemDb!,
      sync: this.syncRepo(),
      analytics: this.analytics,
      orchestrator: this.orchestrator,
      identity: this.identity!,
      registry: this.registry!,
      access: this.access!,
      jobs: () => this.jobs,
      connectors: () => [...this.contributions.connectors.values()].map((c) => c.connector),
      tableSchedulesChanged: () => this.applyTableSchedules(),
      queryLimits: limitsFromConfig(this.config.query),
      validateSchedule: (schedule) => this.jobs?.validateSchedule('aida:sync', schedule),
    };
  }

  /** The request pipeline (http/pipeline.ts), with the profile service, background profiling and MCP it needs. */
  private buildPipeline(): Middleware {
    const data = this.dataContext();
    // One profile service: the routes serve what it computes after every rebuild.
    const profiles = (this.profiles = createProfileService(data, undefined, this.config.analytics.profile_min_interval));
    // Profiling is the worker's (a web host serves the profiles it stored).
    if (this.config.analytics.profile_after_rebuild && runsJobs(this.config.server.role)) {
      this.backgroundProfiling = new BackgroundProfiling(profiles, () => this.state === 'started');
      this.backgroundProfiling.follow(this.orchestrator);
    }
    this.mcp = mcpHosting({
      config: this.config,
      data,
      profiles,
      identity: this.identity!,
      oauthStore: this.oauthStore!,
      contributedRoutes: this.contributions.routes.map((r) => r.route),
      logger: this.logger,
    });
    return buildPipeline({
      config: this.config,
      logger: this.logger,
      secrets: this.secrets,
      container: this.container,
      contributions: this.contributions,
      identity: this.identity!,
      data,
      profiles,
      mcp: this.mcp,
      notificationStore: this.notificationStore!,
      features: this.features,
      jobs: { jobs: () => this.jobs, runs: this.jobRuns() },
      health: { schemaVersion: () => this.schemaVersion, services: () => this.servicesHealth(), plugins: () => this.pluginSummaries() },
    });
  }

  /** A source that cannot be read (a missing folder) is said at boot, not only found later in /api/health. */
  private async warnUnhealthyParts(): Promise<void> {
    for (const [name, h] of Object.entries(await this.servicesHealth())) {
      if (h.status !== 'healthy' && name !== 'analytics')
        this.logger.warn({ part: name, status: h.status }, `${name} is ${h.status}: ${h.detail ?? 'no detail'}`);
    }
  }

  private servicesHealth(): Promise<Record<string, ServiceHealth>> {
    return collectHealth({ systemDb: this.systemDb!, analytics: this.analytics, jobs: this.jobs, contributions: this.contributions });
  }

  /** The plugins as health and the dashboard show them. */
  private pluginSummaries() {
    return this.plugins.map((p) => ({
      id: p.id,
      kind: p.plugin.kind,
      status: this.pluginStatus.get(p.id) ?? 'unknown',
      description: p.plugin.description,
      package: p.packageName,
    }));
  }
}
