// `@aida/plugin-jira/testing`: a local fake of Jira Cloud (REST API v3 and webhooks) for the
// connector's tests and benchmarks. See fake-jira.ts for the entry point.
export { FakeJira, startFakeJira, type FakeJiraOptions } from './fake-jira.js';
export { adf, adfToHtml, adfToText } from './fake-adf.js';
export { FAKE_USERS, STATUS_CATEGORIES } from './fake-catalog.js';
export type { Failure, FailureSpec } from './fake-failures.js';
export { UNBOUNDED as JQL_UNBOUNDED_MESSAGE } from './fake-jql.js';
export type * from './fake-model.js';
export { ISSUE_NOT_FOUND } from './fake-routes.js';
export { SEARCH_GONE } from './fake-search.js';
export { slaField, type SlaSpec } from './fake-sla.js';
export type { SeedOptions } from './fake-store.js';
export { sign, type WebhookDelivery, type WebhookEvent, type WebhookOptions } from './fake-webhooks.js';
export { jiraDateTime } from './fake-time.js';
