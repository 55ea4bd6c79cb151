export { default, keboolaPlugin } from './plugin.js';
export { keboolaConfigSchema, type KeboolaConfig, type TableConfig } from './config.js';
export { KeboolaClient, type KeboolaClientOptions, type KeboolaFile, type KeboolaJob, type KeboolaTable } from './client.js';
export { KeboolaConnector } from './connector.js';
export * from './errors.js';
export { duckdbType } from './types.js';
