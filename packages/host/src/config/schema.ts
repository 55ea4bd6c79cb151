import { z } from 'zod';
import { MCP_MIN_RESULT_BUDGET_CHARS, MCP_RESULT_BUDGET_CHARS, PLUGIN_ID_PATTERN, zByteSize, zDuration } from '@aida/core';
import { jobsConfigSchema } from '../jobs/config.js';
import { stateConfigSchema } from '../state/config.js';

/** What one process of an instance does (docs/deploy.md, Scale out). */
export const HOST_ROLES = ['all', 'web', 'worker'] as const;
export type HostRole = (typeof HOST_ROLES)[number];

// Each default is stated once, on its field; `.prefault({})` on a section lets the fields fill it.

/** Per-job overrides an instance may set for any plugin job: schedule, lock lifetime, concurrency. */
export const jobOverrideSchema = z
  .object({
    schedule: z.string().min(1).optional(),
    lock_lifetime: zDuration().optional(),
    concurrency: z.number().int().positive().optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

/** One entry of the top-level `plugins` list in instance.yaml. */
export const pluginEntrySchema = z
  .object({
    /** npm package whose default export is the plugin definition (e.g. `@aida/plugin-keboola`). */
    package: z.string().min(1),
    /** Runs the plugin under another id (to list one package twice). */
    id: z.string().regex(PLUGIN_ID_PATTERN).optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    jobs: z.record(z.string(), jobOverrideSchema).optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

export const instanceConfigSchema = z
  .object({
    instance: z
      .object({
        name: z.string().default('AIDA'),
        base_url: z.string().url().optional(),
      })
      .strict()
      .prefault({}),
    server: z
      .object({
        host: z.string().default('0.0.0.0'),
        port: z.number().int().min(0).max(65535).optional(),
        /**
         * What this process does: `all` (one host owns the instance), `web` (HTTP only: several
         * behind a load balancer) or `worker` (jobs, extraction, rebuilds: one per instance).
         * `aida serve --role` and AIDA_ROLE override it.
         */
        role: z.enum(HOST_ROLES).default('all'),
        /** Trust X-Forwarded-* headers (behind a reverse proxy). */
        trust_proxy: z.boolean().default(false),
        /** Requests slower than this are logged at warn level. */
        slow_request_ms: z.number().int().positive().default(2000),
        /** Largest JSON body accepted, in bytes (uploads have their own limit). */
        json_body_limit: zByteSize().prefault('1MiB'),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        /** How long a sign-in lasts, e.g. `24h`, `8h`, `7d`. */
        session_lifetime: zDuration().prefault('24h'),
        /** Sign-in attempts allowed per account and per IP within `window`; more get 429 until it passes. */
        signin_limit: z
          .object({ per_account: z.number().int().positive().default(10), per_ip: z.number().int().positive().default(30), window: zDuration().prefault('1m') })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    data_dir: z.string().optional(),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** `auto`: readable lines on a terminal, JSON lines otherwise. */
        format: z.enum(['auto', 'json', 'pretty']).default('auto'),
      })
      .strict()
      .prefault({}),
    /** Where the system tables live: the embedded DuckDB file, or PostgreSQL for several hosts. */
    state: stateConfigSchema.prefault({}),
    jobs: jobsConfigSchema.prefault({}),
    analytics: z
      .object({
        /** Rebuild the analytics database after every successful sync. */
        rebuild_after_sync: z.boolean().default(true),
        /** Profile the tables whose data changed after every rebuild (in the background). */
        profile_after_rebuild: z.boolean().default(true),
        /** A table profiled less than this long ago is profiled again only once it has passed (a pushing source changes every second). */
        profile_min_interval: zDuration().prefault('5m'),
        /** How long after a push connector's write (a webhook) the rebuild starts; the pushes of a burst share it. */
        push_rebuild_delay: zDuration().prefault('100ms'),
        /** Successful pushes are summed into one sync_history row per table at most this often; errors and warnings go in at once. */
        push_history_interval: zDuration().prefault('1m'),
        /**
         * With several hosts (state on PostgreSQL): how long the files of a replaced analytics
         * database stay, so other hosts' queries and downloads on it can end after they move on.
         */
        shared_file_retention: zDuration().prefault('10m'),
      })
      .strict()
      .prefault({}),
    /** Limits of the SQL API (POST /api/query, /api/query/remote, /api/query/hybrid). */
    query: z
      .object({
        timeout: zDuration().prefault('30s'),
        max_concurrent: z.number().int().positive().default(4),
        max_queued: z.number().int().min(0).default(16),
        queue_wait: zDuration().prefault('5s'),
        stall_timeout: zDuration().prefault('60s'),
        default_limit: z.number().int().positive().default(1000),
        max_json_limit: z.number().int().positive().default(100_000),
        max_json_chars: z
          .number()
          .int()
          .positive()
          .default(128 * 1024 * 1024),
        /** A query at a source (its estimate and run; each part of a hybrid query) is stopped after this long. */
        remote_timeout: zDuration().prefault('5m'),
        /** Rows one alias of POST /api/query/hybrid may hold; a source query returning more is refused. */
        hybrid_max_alias_rows: z.number().int().positive().default(500_000),
        /** Aliases one hybrid query may register. */
        hybrid_max_aliases: z.number().int().positive().default(10),
        /** Memory of the scratch engine a hybrid query runs in; beyond it, it spills to disk. */
        hybrid_memory: zByteSize().prefault('2GiB'),
      })
      .strict()
      .prefault({}),
    /** The portal's catalog page. */
    catalog: z
      .object({
        /** List tables a user cannot read by name and description only, with a "Request access" button (hidden when false). */
        list_restricted: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** The MCP server at /mcp for analysts' AI agents, and the OAuth 2.1 endpoints hosted agents connect through (docs/agents.md). */
    mcp: z
      .object({
        enabled: z.boolean().default(true),
        /** Web origins besides the instance's own whose pages may call /mcp; a request without an Origin header is always allowed. */
        allowed_origins: z.array(z.url()).default([]),
        /** MCP sessions held at once; a new one beyond this is refused (503) until an idle one expires. */
        max_sessions: z.number().int().positive().default(200),
        /** Sessions one user may hold; a new one beyond this ends that user's least recently used session. */
        max_sessions_per_user: z.number().int().positive().default(10),
        /** A session unused this long is ended (the agent initializes a new one). */
        session_idle: zDuration({ min: '1s' }).prefault('30m'),
        /** Characters of JSON one tool answer may hold; bigger results are paged by cursor. */
        result_budget: z.number().int().min(MCP_MIN_RESULT_BUDGET_CHARS).default(MCP_RESULT_BUDGET_CHARS),
        oauth: z
          .object({
            /** Dynamic client registration, authorization code + PKCE and refresh for hosted agents. */
            enabled: z.boolean().default(true),
            /** Lifetime of an access token (accepted on /mcp only). */
            access_token_ttl: zDuration({ min: '1m', max: '1d' }).prefault('1h'),
            /** Lifetime of a refresh token; each use replaces it with a new one. */
            refresh_token_ttl: zDuration({ min: '1h' }).prefault('30d'),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** The WebSocket gateway at /ws: notifications and sync events pushed to connected clients (docs/notifications.md). */
    ws: z
      .object({
        enabled: z.boolean().default(true),
        /** The first message must be `{type: "auth", token}` within this long, else the socket is closed with 4401. */
        auth_timeout: zDuration({ min: '10ms' }).prefault('10s'),
        /** How often the host pings each socket. */
        ping_interval: zDuration({ min: '10ms' }).prefault('30s'),
        /** A socket that has not answered this many pings in a row is dropped. */
        max_missed_pongs: z.number().int().positive().default(3),
        /** Sockets one user may hold at once; the next one is refused with 4429. */
        max_connections_per_user: z.number().int().positive().default(5),
        /** Largest message a client may send; a bigger one closes its socket (1009). */
        max_payload: zByteSize({ min: '1KiB' }).prefault('64KiB'),
        /** How often open sockets' tokens are checked again (revoked PAT, deactivated user, expired session) and new sync failures looked up. */
        recheck_interval: zDuration({ min: '10ms' }).prefault('2s'),
      })
      .strict()
      .prefault({}),
    /** Alert rules on data (docs/notifications.md, Alerts): `/api/alerts` and the `/alerts` page. */
    alerts: z
      .object({
        /** Off: no alert routes or page, and no rule runs on this instance. */
        enabled: z.boolean().default(true),
        /** Rules one user may own; one more is refused (409). */
        max_rules_per_user: z.number().int().positive().default(50),
        /** The shortest cooldown a rule may have. */
        min_cooldown: zDuration().prefault('1m'),
        /** Rows a run reads from its SQL (the condition, the message's row_count and the chart see at most these). */
        row_limit: z.number().int().positive().max(100_000).default(5000),
        /** History entries kept per rule; older ones are dropped as new ones are recorded. */
        history_per_rule: z.number().int().positive().default(500),
      })
      .strict()
      .prefault({}),
    /** Notification scripts (docs/notifications.md, Scripts): JavaScript modules run in an isolate in a child process; admin only. */
    scripts: z
      .object({
        /** Off by default: the /api/scripts routes answer 404 saying how to turn them on, and no script runs. */
        enabled: z.boolean().default(false),
        /** Wall-clock time one run may take; the isolate is stopped, then its process killed. */
        timeout: zDuration({ min: '100ms', max: '10m' }).prefault('10s'),
        /** Heap of a run's isolate (at least 8MiB). */
        memory: zByteSize({ min: '8MiB', max: '4GiB' }).prefault('64MiB'),
        /** Bytes of logs plus the returned value one run may produce. */
        max_output: zByteSize({ min: '1KiB', max: '16MiB' }).prefault('64KiB'),
        /** query() calls one run may make. */
        max_queries: z.number().int().positive().default(20),
        /** Rows one query() call returns at most (`truncated` says more exist). */
        max_rows: z.number().int().positive().max(100_000).default(5000),
        /** Runs at once on this instance (each is its own process); more wait briefly, then get 429. */
        max_concurrent: z.number().int().positive().default(2),
      })
      .strict()
      .prefault({}),
    /** A folder of templates that override the host's and plugins' (e.g. `dashboard.njk`, `assets/portal.css`). */
    views_dir: z.string().optional(),
    plugins: z.array(pluginEntrySchema).default([]),
  })
  .strict();

export type InstanceConfig = z.output<typeof instanceConfigSchema>;
export type InstanceConfigInput = z.input<typeof instanceConfigSchema>;
export type PluginEntry = z.output<typeof pluginEntrySchema>;
export type JobOverride = z.output<typeof jobOverrideSchema>;
