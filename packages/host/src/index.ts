import 'reflect-metadata';

export { createHost, type CreateHostOptions, type Host } from './host.js';
export { loadConfigFile, configPath } from './config/load.js';
export { instanceConfigSchema, type InstanceConfig, type InstanceConfigInput, type PluginEntry } from './config/schema.js';
export type { InlinePluginEntry, ResolvedPlugin } from './plugins/resolve.js';
export type { TokenOverride, TokenOverrides } from './plugins/overrides.js';
export { localFilesPlugin } from './local-files/plugin.js';
export { generateDemoDataset, DEMO_TABLES } from './demo/dataset.js';
export { HOST_VERSION } from './version.js';
export * from './errors.js';
