// The store of the Jira source's six tables: batched writes through one push, and reads of what is stored.
export { JiraStore, type JiraStoreOptions } from './jira-store.js';
export type { StoredFilter } from './read-stored.js';
export type { ApplyResult, StoreOp, StoredIssue } from './types.js';
