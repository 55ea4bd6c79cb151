// The pure transform of a refetched Jira issue into table rows, and the pieces it is built from.
export { adfToText } from './adf.js';
export { ISSUE_KEY, isIssueKey } from './issue-key.js';
export { REDACTED, isCredentialParam, redactJson, redactText } from './redact.js';
export { issueRows, type IssueDocument, type IssueRows, type Row, type RowValue, type TransformOptions } from './rows.js';
export {
  ATTACHMENTS_TABLE,
  CHANGELOG_TABLE,
  COMMENTS_TABLE,
  ISSUELINKS_TABLE,
  REMOTE_LINKS_TABLE,
  issuesTable,
  jiraTables,
  refreshFieldColumns,
  type ColumnDefinition,
  type ColumnType,
  type JiraTableName,
  type RefreshColumn,
  type TableDefinition,
} from './tables.js';
export { statusCategory } from './status-category.js';
export { jiraDate, jiraTimestamp, monthOf } from './time.js';
