import { join } from 'node:path';
import { definePlugin, tokens, type ExtractReport } from '@aida/core';
import { JiraClient } from './client/client.js';
import { jiraClientOptions, jiraConfigSchema } from './config.js';
import { JiraConnector } from './connector.js';
import { backfill } from './jobs/backfill.js';
import { consistencyCheck } from './jobs/consistency.js';
import { slaPoll } from './jobs/sla-poll.js';
import { JiraStore } from './store/index.js';
import { JiraSync } from './sync/jira-sync.js';
import { jiraTables } from './transform/index.js';
import { webhookRoute } from './webhook/route.js';

/** Jira Cloud by push: signed webhooks refetch issues into six month-partitioned tables; jobs backfill, poll SLAs and heal gaps. */
export const jiraPlugin = definePlugin({
  id: 'jira',
  kind: 'connector',
  description: 'Jira Cloud: issues, comments, attachments, changelog and links, kept current by signed webhooks',
  config: jiraConfigSchema,
  deps: { connectors: tokens.connectors, logger: tokens.logger, host: tokens.host, jobs: tokens.jobs, services: tokens.services },
  init({ connectors, logger, host, jobs, services }, { config }) {
    const log = logger.child({ source: config.source });
    const api = new JiraClient(jiraClientOptions(config, log));
    const sourceDir = join(host.dataDir, 'extracts', config.source);
    const tables = jiraTables(config.refresh_fields);
    const secret = config.webhook_secret_env;
    const route = webhookRoute({ secret, maxBodyBytes: config.webhook.max_body, accept: (r) => sync.receive(r) });

    const connector = new JiraConnector({
      source: config.source,
      tables,
      routes: [route],
      idle: () => sync.idle(),
      health: () =>
        secret
          ? { status: 'healthy', detail: `${config.url}; ${sync.pending.pending} issues waiting` }
          : { status: 'degraded', detail: 'no webhook secret: POST /webhooks/jira answers 503 until the variable named by webhook_secret_env is set' },
      backfill: async ({ signal, logger: runLog }): Promise<ExtractReport> => {
        const failedBefore = sync.counters.failed;
        const r = await backfill({
          api,
          sync,
          store,
          jql: config.jql,
          pageSize: config.backfill.page_size,
          statePath: join(sourceDir, 'backfill.json'),
          logger: runLog,
          signal,
        });
        const failed = sync.counters.failed - failedBefore;
        runLog.info(r, `${r.seen} issues seen, ${r.refetched} refetched, ${r.upToDate} already current`);
        const warnings = failed ? [`${failed} issues could not be refetched; the consistency check retries them`] : undefined;
        return { tables: [{ name: 'issues', status: 'ok', rows: r.seen, warnings }] };
      },
    });
    const writes = connectors.register(connector);
    // The store writes through the handle registering returns; the connector's closures above run only once the host has started.
    const store = new JiraStore({
      writes,
      sourceDir,
      refreshFields: config.refresh_fields,
      logger: log,
    });
    const sync = new JiraSync({
      api,
      store,
      siteUrl: config.url,
      refreshFields: config.refresh_fields,
      attachmentsDir: config.attachments.download ? join(sourceDir, 'attachments') : undefined,
      maxAttachmentBytes: config.attachments.max_bytes,
      concurrency: config.concurrency,
      maxPending: 100_000,
      batch: { maxWaitMs: config.batch.max_wait, maxOps: config.batch.max_issues },
      retries: 3,
      retryDelayMs: 5_000,
      logger: log,
    });

    jobs.define(
      'sla-poll',
      async ({ signal }) => ({
        ...(await slaPoll({ api, sync, store, refreshFields: config.refresh_fields, parallel: config.concurrency, logger: log, signal })),
      }),
      { schedule: config.sla_poll.schedule, lockLifetime: '1h', concurrency: 1 },
    );
    jobs.define(
      'consistency',
      async ({ signal }) => {
        const r = await consistencyCheck({
          api,
          sync,
          store,
          jql: config.jql,
          windowDays: config.consistency.window_days,
          maxFixes: config.consistency.max_fixes,
          pageSize: config.backfill.page_size,
          logger: log,
          signal,
        });
        // Beyond what one run fixes: a warning in the source's sync history, where an admin looks.
        if (r.warning) await writes.push(async () => ({ tables: [{ name: 'issues', status: 'ok', warnings: [r.warning!] }] }));
        return { ...r };
      },
      { schedule: config.consistency.schedule, lockLifetime: '30m', concurrency: 1 },
    );
    services.register({
      id: `jira-webhooks-${config.source}`,
      start: () => Promise.resolve(),
      stop: () => sync.stop(),
      health: () => connector.health(),
    });
  },
});

export default jiraPlugin;
