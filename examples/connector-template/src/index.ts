// The package's entry point: the host loads its default export, the plugin definition.
export { default, templatePlugin } from './plugin.js';
export { templateConfigSchema, type TemplateConfig } from './config.js';
export { SourceClient, type SourceClientOptions, type SourceRow, type SourceTable } from './client.js';
