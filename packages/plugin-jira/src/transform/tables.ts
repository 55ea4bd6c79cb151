// The six tables the connector writes, as data: the writer creates, partitions and merges them
// from these definitions, and rows.ts fills exactly these columns in this order. Every table is
// partitioned by the month of the issue's created_at, so child tables carry the parent's
// created_at as `issue_created_at`.
import { InputError } from '@aida/core';

export type ColumnType = 'VARCHAR' | 'BIGINT' | 'BOOLEAN' | 'TIMESTAMPTZ' | 'DATE';

export interface ColumnDefinition {
  readonly name: string;
  readonly type: ColumnType;
}

export type JiraTableName = 'issues' | 'comments' | 'attachments' | 'changelog' | 'issuelinks' | 'remote_links';

export interface TableDefinition {
  readonly name: JiraTableName;
  readonly description: string;
  readonly columns: readonly ColumnDefinition[];
  readonly primaryKey: readonly string[];
  /** The TIMESTAMPTZ column whose (UTC) month names the row's partition. */
  readonly partitionColumn: 'created_at' | 'issue_created_at';
}

/** A configured refresh field (`refresh_fields: { alias: fieldId }`) and the issues column holding its JSON. */
export interface RefreshColumn {
  readonly column: string;
  readonly fieldId: string;
}

type Spec = Record<string, ColumnType>;
const columns = (spec: Spec): ColumnDefinition[] => Object.entries(spec).map(([name, type]) => ({ name, type }));

const ISSUE_COLUMNS: Spec = {
  issue_key: 'VARCHAR',
  issue_id: 'VARCHAR',
  issue_url: 'VARCHAR',
  summary: 'VARCHAR',
  description: 'VARCHAR',
  issue_type: 'VARCHAR',
  status: 'VARCHAR',
  status_category: 'VARCHAR',
  priority: 'VARCHAR',
  resolution: 'VARCHAR',
  project_key: 'VARCHAR',
  project_name: 'VARCHAR',
  creator_email: 'VARCHAR',
  reporter_email: 'VARCHAR',
  assignee_email: 'VARCHAR',
  created_at: 'TIMESTAMPTZ',
  updated_at: 'TIMESTAMPTZ',
  resolved_at: 'TIMESTAMPTZ',
  due_date: 'DATE',
  labels: 'VARCHAR',
  comment_count: 'BIGINT',
  attachment_count: 'BIGINT',
  issuelink_count: 'BIGINT',
};
const SYNCED_AT: Spec = { _synced_at: 'TIMESTAMPTZ' };

/** Column names a refresh field may not take: the built-in ones and the writer's own markers. */
function isReserved(name: string): boolean {
  return Object.hasOwn(ISSUE_COLUMNS, name) || Object.hasOwn(SYNCED_AT, name) || name === '_deleted' || name.startsWith('_aida_');
}

const REFRESH_COLUMN = /^[a-z_][a-z0-9_]{0,63}$/;

/**
 * The issues columns of the configured refresh fields, in config order: the alias when it is a
 * lower-case identifier, else the field id (made one); `cf_` in front when that is a built-in
 * column. Two fields landing on one column are a configuration error.
 */
export function refreshFieldColumns(refreshFields: Readonly<Record<string, string>>): RefreshColumn[] {
  const seen = new Map<string, string>();
  return Object.entries(refreshFields).map(([alias, fieldId]) => {
    const base = REFRESH_COLUMN.test(alias) ? alias : asIdentifier(fieldId);
    const column = isReserved(base) ? `cf_${base}`.slice(0, 64) : base;
    const other = seen.get(column);
    if (other !== undefined) {
      throw new InputError(`refresh_fields: "${other}" and "${alias}" both map to column ${column}`, { field: `refresh_fields.${alias}` });
    }
    seen.set(column, alias);
    return { column, fieldId };
  });
}

/** A field id as a column name (`customfield_10010` already is one). */
function asIdentifier(fieldId: string): string {
  const name = fieldId.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return (/^[a-z_]/.test(name) ? name : `_${name}`).slice(0, 64);
}

/** The issues table with one VARCHAR (JSON text) column per refresh field before `_synced_at`. */
export function issuesTable(refreshColumns: readonly RefreshColumn[]): TableDefinition {
  return {
    name: 'issues',
    description: 'Jira issues, one row per issue; refresh fields as JSON text columns',
    columns: [...columns(ISSUE_COLUMNS), ...refreshColumns.map((r) => ({ name: r.column, type: 'VARCHAR' as const })), ...columns(SYNCED_AT)],
    primaryKey: ['issue_key'],
    partitionColumn: 'created_at',
  };
}

export const COMMENTS_TABLE: TableDefinition = {
  name: 'comments',
  description: 'Comments of Jira issues; public_visibility is NULL when Jira did not say',
  columns: columns({
    comment_id: 'VARCHAR',
    issue_key: 'VARCHAR',
    author_email: 'VARCHAR',
    author_name: 'VARCHAR',
    body: 'VARCHAR',
    created_at: 'TIMESTAMPTZ',
    updated_at: 'TIMESTAMPTZ',
    public_visibility: 'BOOLEAN',
    issue_created_at: 'TIMESTAMPTZ',
  }),
  primaryKey: ['comment_id'],
  partitionColumn: 'issue_created_at',
};

export const ATTACHMENTS_TABLE: TableDefinition = {
  name: 'attachments',
  description: 'Attachments of Jira issues; local_path is set once the file is stored on the server',
  columns: columns({
    attachment_id: 'VARCHAR',
    issue_key: 'VARCHAR',
    filename: 'VARCHAR',
    size_bytes: 'BIGINT',
    mime_type: 'VARCHAR',
    author_email: 'VARCHAR',
    created_at: 'TIMESTAMPTZ',
    content_url: 'VARCHAR',
    local_path: 'VARCHAR',
    issue_created_at: 'TIMESTAMPTZ',
  }),
  primaryKey: ['attachment_id'],
  partitionColumn: 'issue_created_at',
};

// One history may change one field several times (two attachments uploaded together, two links
// added at once), so the key is the history id with the item's position, not the field name.
export const CHANGELOG_TABLE: TableDefinition = {
  name: 'changelog',
  description: 'Field changes of Jira issues, one row per changelog item',
  columns: columns({
    change_id: 'VARCHAR',
    item_index: 'BIGINT',
    issue_key: 'VARCHAR',
    author_email: 'VARCHAR',
    field_name: 'VARCHAR',
    field_type: 'VARCHAR',
    from_value: 'VARCHAR',
    to_value: 'VARCHAR',
    changed_at: 'TIMESTAMPTZ',
    issue_created_at: 'TIMESTAMPTZ',
  }),
  primaryKey: ['change_id', 'item_index'],
  partitionColumn: 'issue_created_at',
};

export const ISSUELINKS_TABLE: TableDefinition = {
  name: 'issuelinks',
  description: 'Links between Jira issues, as seen from each issue (direction inward or outward)',
  columns: columns({
    issue_key: 'VARCHAR',
    link_id: 'VARCHAR',
    link_type: 'VARCHAR',
    direction: 'VARCHAR',
    linked_issue_key: 'VARCHAR',
    linked_issue_summary: 'VARCHAR',
    linked_issue_status: 'VARCHAR',
    issue_created_at: 'TIMESTAMPTZ',
  }),
  primaryKey: ['issue_key', 'link_id'],
  partitionColumn: 'issue_created_at',
};

export const REMOTE_LINKS_TABLE: TableDefinition = {
  name: 'remote_links',
  description: 'Links from Jira issues to other systems (Confluence pages, web pages)',
  columns: columns({
    issue_key: 'VARCHAR',
    remote_link_id: 'VARCHAR',
    url: 'VARCHAR',
    title: 'VARCHAR',
    application_name: 'VARCHAR',
    issue_created_at: 'TIMESTAMPTZ',
  }),
  primaryKey: ['issue_key', 'remote_link_id'],
  partitionColumn: 'issue_created_at',
};

/** All six tables for a configuration's refresh fields, issues first. */
export function jiraTables(refreshFields: Readonly<Record<string, string>>): TableDefinition[] {
  return [issuesTable(refreshFieldColumns(refreshFields)), COMMENTS_TABLE, ATTACHMENTS_TABLE, CHANGELOG_TABLE, ISSUELINKS_TABLE, REMOTE_LINKS_TABLE];
}
