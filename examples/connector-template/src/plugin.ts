// Wiring only: the config becomes a client, the client a connector. What the connector does
// lives in extract.ts, how the source is spoken to in client.ts.
import { definePlugin, tokens } from '@aida/core';
import { SourceClient } from './client.js';
import { templateConfigSchema } from './config.js';
import { discoverTables, extractTables } from './extract.js';

/** The template connector: one source, its tables synced into Parquet. */
export const templatePlugin = definePlugin({
  id: 'template',
  kind: 'connector',
  description: 'Connector template: a made-up REST source, synced incrementally into partitioned Parquet',
  config: templateConfigSchema,
  deps: { connectors: tokens.connectors, logger: tokens.logger },
  init({ connectors, logger }, { config }) {
    const client = new SourceClient({
      baseUrl: config.base_url,
      token: config.token_env, // the variable's value: zSecretEnv read it at boot
      timeoutMs: config.timeout,
      retries: { max: config.retries.max, baseDelayMs: config.retries.base_delay, maxRetryAfterMs: config.retries.max_retry_after },
      logger,
    });
    // The host gives it a `template:sync` job and commits or discards each extract it writes.
    connectors.register({
      source: config.source,
      sourceType: 'template',
      discover: (signal = new AbortController().signal) => discoverTables(client, signal),
      extract: (request) => extractTables(client, config, request),
    });
  },
});

export default templatePlugin;
