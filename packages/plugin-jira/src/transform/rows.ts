// One refetched issue to the rows of the six tables. Pure: the caller fetched the issue
// (`fields=*all`, `expand=renderedFields,changelog`, refresh fields overlaid), completed its
// comments and changelog, and tried its remote links; this only reads what it is given.
// Free text is flattened (adf.ts) and every text or URL column redacted (redact.ts).
import { InputError } from '@aida/core';
import { adfToText } from './adf.js';
import { isIssueKey } from './issue-key.js';
import { asArray, asObject, asString, idText, own, textAt } from './json.js';
import { statusCategory } from './status-category.js';
import { redactJson, redactText } from './redact.js';
import { refreshFieldColumns, type RefreshColumn } from './tables.js';
import { jiraDate, jiraTimestamp } from './time.js';

export { ISSUE_KEY, isIssueKey } from './issue-key.js';
export { monthOf } from './time.js';

export type RowValue = string | number | boolean | null;
export type Row = Record<string, RowValue>;

export interface IssueDocument {
  /** The GET /rest/api/3/issue/{key} answer (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-get). */
  issue: unknown;
  /** Every comment of the issue, oldest first, already paged and de-duplicated. */
  comments: readonly unknown[];
  /** Every changelog history (`{ id, author, created, items: [{ field, fieldtype, fromString, toString, … }] }`). */
  histories: readonly unknown[];
  /** GET …/remotelink's list; undefined when that fetch failed, so the stored rows are kept (upstream #319). */
  remoteLinks: readonly unknown[] | undefined;
  /** Where each stored attachment lies on the server, by attachment id. */
  attachmentPaths?: ReadonlyMap<string, string>;
  syncedAt: Date;
}

export interface TransformOptions {
  /** `https://example.atlassian.net`, for issue_url. */
  siteUrl: string;
  /** Configured refresh fields: column alias → Jira field id. */
  refreshFields: Readonly<Record<string, string>>;
}

export interface IssueRows {
  issues: Row[];
  comments: Row[];
  attachments: Row[];
  changelog: Row[];
  issuelinks: Row[];
  /** undefined: keep the rows already stored for this issue. */
  remote_links: Row[] | undefined;
}

const redacted = (text: string | null): string | null => (text === null ? null : redactText(text));
const richText = (value: unknown): string | null => redacted(adfToText(value));
/** Objects with an id (rows need their key); anything else in a list is dropped. */
const withId = (list: readonly unknown[], key = 'id'): Record<string, unknown>[] => list.flatMap((x) => (idText(own(x, key)) === null ? [] : [asObject(x)!]));

/** The rows of every table for one issue. Throws InputError when the issue has no valid key. */
export function issueRows(doc: IssueDocument, options: TransformOptions): IssueRows {
  const key = own(doc.issue, 'key');
  if (!isIssueKey(key)) throw new InputError(`Not a Jira issue key: ${JSON.stringify(key)}`, { field: 'issue.key' });
  const fields = asObject(own(doc.issue, 'fields')) ?? {};
  const createdAt = jiraTimestamp(fields.created);
  const parent = { issue_key: key, issue_created_at: createdAt };
  const attachments = withId(asArray(fields.attachment));
  const links = withId(asArray(fields.issuelinks));
  const comments = withId(doc.comments);

  const issue: Row = {
    issue_key: key,
    issue_id: idText(own(doc.issue, 'id')),
    issue_url: `${options.siteUrl.replace(/\/+$/, '')}/browse/${key}`,
    summary: redacted(textAt(fields, 'summary')),
    description: richText(own(fields, 'description')),
    issue_type: textAt(fields, 'issuetype', 'name'),
    status: textAt(fields, 'status', 'name'),
    // To Do, In Progress or Done whatever the site's language: the SLA poll selects `status_category != 'Done'`.
    status_category: statusCategory(own(fields, 'status')),
    priority: textAt(fields, 'priority', 'name'),
    resolution: textAt(fields, 'resolution', 'name'),
    project_key: textAt(fields, 'project', 'key'),
    project_name: textAt(fields, 'project', 'name'),
    creator_email: textAt(fields, 'creator', 'emailAddress'),
    reporter_email: textAt(fields, 'reporter', 'emailAddress'),
    assignee_email: textAt(fields, 'assignee', 'emailAddress'),
    created_at: createdAt,
    updated_at: jiraTimestamp(own(fields, 'updated')),
    resolved_at: jiraTimestamp(own(fields, 'resolutiondate')),
    due_date: jiraDate(own(fields, 'duedate')),
    labels: JSON.stringify(asArray(own(fields, 'labels')).filter((l) => typeof l === 'string')),
    comment_count: comments.length,
    attachment_count: attachments.length,
    issuelink_count: links.length,
    ...refreshValues(fields, refreshFieldColumns(options.refreshFields)),
    _synced_at: doc.syncedAt.toISOString(),
  };

  return {
    issues: [issue],
    comments: comments.map((c) => commentRow(c, parent)),
    attachments: attachments.map((a) => attachmentRow(a, parent, doc.attachmentPaths)),
    changelog: withId(doc.histories).flatMap((h) => changeRows(h, parent)),
    issuelinks: links.flatMap((l) => linkRow(l, parent)),
    remote_links: doc.remoteLinks && withId(doc.remoteLinks).map((r) => remoteLinkRow(r, parent)),
  };
}

interface Parent {
  issue_key: string;
  issue_created_at: string | null;
}

/** Each refresh field as JSON text (strings inside redacted); NULL when Jira has no value. */
function refreshValues(fields: Record<string, unknown>, columns: readonly RefreshColumn[]): Row {
  const row: Row = {};
  for (const { column, fieldId } of columns) {
    const value = own(fields, fieldId);
    row[column] = value === undefined || value === null ? null : JSON.stringify(redactJson(value));
  }
  return row;
}

function commentRow(c: Record<string, unknown>, parent: Parent): Row {
  return {
    comment_id: idText(c.id),
    issue_key: parent.issue_key,
    author_email: textAt(c, 'author', 'emailAddress'),
    author_name: textAt(c, 'author', 'displayName'),
    body: richText(own(c, 'body')),
    created_at: jiraTimestamp(own(c, 'created')),
    updated_at: jiraTimestamp(own(c, 'updated')),
    // Three-valued: only a JSON boolean says public or internal; absent stays unknown (NULL).
    public_visibility: typeof own(c, 'jsdPublic') === 'boolean' ? (c.jsdPublic as boolean) : null,
    issue_created_at: parent.issue_created_at,
  };
}

function attachmentRow(a: Record<string, unknown>, parent: Parent, paths: ReadonlyMap<string, string> | undefined): Row {
  const id = idText(a.id)!;
  const size = own(a, 'size');
  return {
    attachment_id: id,
    issue_key: parent.issue_key,
    filename: textAt(a, 'filename'),
    size_bytes: typeof size === 'number' && Number.isSafeInteger(size) ? size : null,
    mime_type: textAt(a, 'mimeType'),
    author_email: textAt(a, 'author', 'emailAddress'),
    created_at: jiraTimestamp(own(a, 'created')),
    content_url: redacted(textAt(a, 'content')),
    local_path: paths?.get(id) ?? null,
    issue_created_at: parent.issue_created_at,
  };
}

function changeRows(h: Record<string, unknown>, parent: Parent): Row[] {
  return asArray(own(h, 'items')).flatMap((item, index) => {
    if (!asObject(item)) return [];
    return [
      {
        change_id: idText(h.id),
        item_index: index,
        issue_key: parent.issue_key,
        author_email: textAt(h, 'author', 'emailAddress'),
        field_name: textAt(item, 'field'),
        field_type: textAt(item, 'fieldtype'),
        // The display text when Jira gives one (a status name), else the raw value (an id).
        from_value: redacted(textAt(item, 'fromString') ?? textAt(item, 'from')),
        to_value: redacted(textAt(item, 'toString') ?? textAt(item, 'to')),
        changed_at: jiraTimestamp(own(h, 'created')),
        issue_created_at: parent.issue_created_at,
      },
    ];
  });
}

/** A link names the other issue as `outwardIssue` (this issue → it) or `inwardIssue` (it → this issue). */
function linkRow(l: Record<string, unknown>, parent: Parent): Row[] {
  const outward = asObject(own(l, 'outwardIssue'));
  const other = outward ?? asObject(own(l, 'inwardIssue'));
  if (!other) return [];
  return [
    {
      issue_key: parent.issue_key,
      link_id: idText(l.id),
      link_type: textAt(l, 'type', 'name'),
      direction: outward ? 'outward' : 'inward',
      linked_issue_key: asString(other.key) ?? null,
      linked_issue_summary: redacted(textAt(other, 'fields', 'summary')),
      linked_issue_status: textAt(other, 'fields', 'status', 'name'),
      issue_created_at: parent.issue_created_at,
    },
  ];
}

function remoteLinkRow(r: Record<string, unknown>, parent: Parent): Row {
  return {
    issue_key: parent.issue_key,
    remote_link_id: idText(r.id),
    url: redacted(textAt(r, 'object', 'url')),
    title: redacted(textAt(r, 'object', 'title')),
    application_name: textAt(r, 'application', 'name'),
    issue_created_at: parent.issue_created_at,
  };
}
