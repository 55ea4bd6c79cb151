export { default, bigQueryPlugin } from './plugin.js';
export { bigQueryConfigSchema, defaultTableName, type BigQueryConfig, type BigQueryConfigInput, type Credentials, type TableConfig } from './config.js';
export { BigQueryApi, type BigQueryApiOptions } from './client.js';
export { BigQueryConnector, type BigQueryDiscoveredTable } from './connector.js';
export { BigQueryRemote } from './remote.js';
export * from './errors.js';
export { duckdbType } from './types.js';
