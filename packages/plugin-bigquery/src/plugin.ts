import { definePlugin, tokens } from '@aida/core';
import { BigQueryApi } from './client.js';
import { apiOptionsFrom, bigQueryConfigSchema } from './config.js';
import { BigQueryConnector } from './connector.js';

/** Google BigQuery: materialized tables copied to Parquet, remote tables queried in place under cost caps. */
export const bigQueryPlugin = definePlugin({
  id: 'bigquery',
  kind: 'connector',
  description: 'Google BigQuery: full and incremental materialization into Parquet, and remote tables queried in place with cost guards',
  config: bigQueryConfigSchema,
  deps: { connectors: tokens.connectors, logger: tokens.logger },
  init({ connectors, logger }, { config }) {
    const api = new BigQueryApi(apiOptionsFrom(config, logger.child({ source: config.source })));
    connectors.register(new BigQueryConnector(config, api));
  },
});

export default bigQueryPlugin;
