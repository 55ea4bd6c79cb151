export { default, jiraPlugin } from './plugin.js';
export { jiraClientOptions, jiraConfigSchema, type JiraConfig } from './config.js';
export { JiraClient, type JiraClientOptions } from './client/client.js';
export type { JiraApi, SearchPage, SearchRequest } from './client/types.js';
export { JiraConnector } from './connector.js';
export { JiraSync, type SyncCounters } from './sync/jira-sync.js';
export * from './errors.js';
