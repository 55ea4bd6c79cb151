import { definePlugin, tokens } from '@aida/core';
import { KeboolaClient } from './client.js';
import { clientOptionsFrom, keboolaConfigSchema } from './config.js';
import { KeboolaConnector } from './connector.js';

/** Keboola Storage API connector: each configured project becomes one AIDA source. */
export const keboolaPlugin = definePlugin({
  id: 'keboola',
  kind: 'connector',
  description: 'Keboola Storage API: full, incremental and partitioned sync of Keboola tables into Parquet',
  config: keboolaConfigSchema,
  deps: { connectors: tokens.connectors, logger: tokens.logger },
  init({ connectors, logger }, { config }) {
    const client = new KeboolaClient(clientOptionsFrom(config, config.token_env, logger));
    connectors.register(new KeboolaConnector(config, client));
  },
});

export default keboolaPlugin;
