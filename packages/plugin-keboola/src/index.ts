export { default, keboolaPlugin } from './plugin.js';
export { keboolaConfigSchema, type KeboolaConfig, type TableConfig } from './config.js';
export { KeboolaClient, KeboolaError, type KeboolaClientOptions, type KeboolaFile, type KeboolaJob, type KeboolaTable } from './client.js';
export { KeboolaConnector } from './connector.js';
export { duckdbType } from './types.js';
