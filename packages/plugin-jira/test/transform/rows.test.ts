// One refetched issue becomes rows of the six tables, each row with exactly its table's columns.
import { describe, expect, it } from 'vitest';
import { REDACTED } from '../../src/transform/redact.js';
import { isIssueKey, issueRows, monthOf, type IssueDocument } from '../../src/transform/rows.js';
import { jiraTables } from '../../src/transform/tables.js';
import { SITE_URL, commentsJson, historiesJson, issueJson, remoteLinksJson } from './fixture.js';

const syncedAt = new Date('2024-05-04T06:00:00.000Z');
const refreshFields = { status: 'customfield_10050', 'Region Code': 'customfield_10060', sla_resolution: 'customfield_10070', dashboard: 'customfield_10080' };
const options = { siteUrl: SITE_URL, refreshFields };

function document(overrides: Partial<IssueDocument> = {}): IssueDocument {
  return {
    issue: issueJson(),
    comments: commentsJson(),
    histories: historiesJson(),
    remoteLinks: remoteLinksJson(),
    attachmentPaths: new Map([['20001', 'attachments/OPS-42/20001_export.log']]),
    syncedAt,
    ...overrides,
  };
}

describe('issueRows', () => {
  it('fills every table with exactly its columns, in their order', () => {
    const rows = issueRows(document(), options);
    for (const table of jiraTables(refreshFields)) {
      const tableRows = rows[table.name]!;
      expect(tableRows.length, table.name).toBeGreaterThan(0);
      for (const row of tableRows) expect(Object.keys(row), table.name).toEqual(table.columns.map((c) => c.name));
    }
  });

  it('maps the issue fields, with UTC timestamps, the status category name and counts from the full lists', () => {
    const [issue] = issueRows(document(), options).issues;
    expect(issue).toMatchObject({
      issue_key: 'OPS-42',
      issue_id: '10042',
      issue_url: 'https://acme.atlassian.net/browse/OPS-42',
      summary: 'Nightly export fails for EU',
      issue_type: 'Bug',
      status: 'In Review',
      status_category: 'In Progress',
      priority: 'High',
      resolution: null,
      project_key: 'OPS',
      project_name: 'Operations',
      creator_email: 'jane@acme.example',
      reporter_email: null,
      assignee_email: 'bob@acme.example',
      created_at: '2024-05-01T08:00:00.000Z',
      updated_at: '2024-05-03T17:30:12.345Z',
      resolved_at: null,
      due_date: '2024-05-31',
      labels: '["export","eu"]',
      comment_count: 2,
      attachment_count: 2,
      issuelink_count: 2,
      _synced_at: '2024-05-04T06:00:00.000Z',
    });
  });

  it('names the status category by its key, so a site in another language still stores To Do / In Progress / Done', () => {
    const localized = (key: string | undefined, name: string) => {
      const json = issueJson() as { fields: Record<string, unknown> };
      json.fields.status = { name: 'Erledigt', statusCategory: { id: 3, ...(key ? { key } : {}), name } };
      return issueRows(document({ issue: json }), options).issues[0]!.status_category;
    };
    expect(localized('done', 'Fertig')).toBe('Done');
    expect(localized('indeterminate', 'In Arbeit')).toBe('In Progress');
    expect(localized('new', 'Aufgaben')).toBe('To Do');
    // A key Jira may add later, or none at all: the name as Jira gave it.
    expect(localized('undefined', 'Keine Kategorie')).toBe('Keine Kategorie');
    expect(localized(undefined, 'Fertig')).toBe('Fertig');
  });

  it('flattens the description with its link inlined and the signature redacted', () => {
    const [issue] = issueRows(document(), options).issues;
    expect(issue.description).toBe(`Export log: signed link (https://files.acme.example/log.txt?X-Amz-Signature=${REDACTED}&X-Amz-Date=20240501)`);
  });

  it('stores refresh fields as JSON under their column: cf_ before a built-in name, the field id for an invalid alias', () => {
    const [issue] = issueRows(document(), options).issues;
    const fields = issueJson().fields;
    expect(JSON.parse(issue.cf_status as string)).toEqual(fields.customfield_10050);
    expect(JSON.parse(issue.customfield_10060 as string)).toEqual(fields.customfield_10060);
    expect(issue.sla_resolution).toBeNull();
    expect(issue.dashboard).toBe(JSON.stringify(`https://grafana.acme.example/d/x?auth=${REDACTED}`));
    expect(issue.status).toBe('In Review');
  });

  it('keeps public_visibility three-valued: true, false, and NULL when jsdPublic is absent or not a boolean', () => {
    const rows = issueRows(document(), options).comments;
    expect(rows.map((c) => c.public_visibility)).toEqual([true, false]);
    const [first, second] = commentsJson();
    const { jsdPublic: _dropped, ...absent } = first;
    const unknown = issueRows(document({ comments: [absent, { ...second, jsdPublic: 'false' }] }), options).comments;
    expect(unknown.map((c) => c.public_visibility)).toEqual([null, null]);
  });

  it('writes comments with authors, flattened redacted bodies, UTC times and the parent issue created_at', () => {
    const [c1, c2] = issueRows(document(), options).comments;
    expect(c1).toMatchObject({
      comment_id: '40001',
      issue_key: 'OPS-42',
      author_email: 'jane@acme.example',
      author_name: 'Jane Doe',
      body: `Reproduced, see https://ci.acme.example/run/9?jwt=${REDACTED}`,
      created_at: '2024-05-01T11:00:00.000Z',
      issue_created_at: '2024-05-01T08:00:00.000Z',
    });
    expect(c2).toMatchObject({ body: '@Jane Doe internal note', created_at: '2024-05-02T14:15:00.000Z', updated_at: '2024-05-02T14:15:00.000Z' });
  });

  it('writes attachments with their stored path when known and a redacted content URL', () => {
    const rows = issueRows(document(), options).attachments;
    expect(rows[0]).toMatchObject({
      attachment_id: '20001',
      filename: 'export.log',
      size_bytes: 2048,
      mime_type: 'text/plain',
      local_path: 'attachments/OPS-42/20001_export.log',
    });
    expect(rows[1]).toMatchObject({
      attachment_id: '20002',
      local_path: null,
      content_url: `https://acme.atlassian.net/rest/api/3/attachment/content/20002?token=${REDACTED}`,
    });
  });

  it('writes one changelog row per item, keyed by history id and position, even when a history changes a field twice', () => {
    const rows = issueRows(document(), options).changelog;
    const keys = rows.map((r) => `${r.change_id}/${r.item_index}`);
    expect(keys).toEqual(['50002/0', '50002/1', '50001/0', '50001/1', '50001/2']);
    expect(rows.filter((r) => r.change_id === '50002').map((r) => [r.field_name, r.to_value])).toEqual([
      ['Attachment', 'screen.png'],
      ['Attachment', 'screen-2.png'],
    ]);
    expect(rows[2]).toMatchObject({
      author_email: 'jane@acme.example',
      field_name: 'status',
      field_type: 'jira',
      from_value: 'To Do',
      to_value: 'In Review',
      changed_at: '2024-05-01T12:00:00.000Z',
    });
    expect(rows[4]).toMatchObject({ from_value: `old https://x.test/?password=${REDACTED}`, to_value: 'new' });
  });

  it('writes issue links in both directions', () => {
    const rows = issueRows(document(), options).issuelinks;
    expect(rows).toEqual([
      {
        issue_key: 'OPS-42',
        link_id: '30001',
        link_type: 'Blocks',
        direction: 'outward',
        linked_issue_key: 'OPS-50',
        linked_issue_summary: 'Monthly report',
        linked_issue_status: 'To Do',
        issue_created_at: '2024-05-01T08:00:00.000Z',
      },
      {
        issue_key: 'OPS-42',
        link_id: '30002',
        link_type: 'Cloners',
        direction: 'inward',
        linked_issue_key: 'DATA-7',
        linked_issue_summary: 'Old export bug',
        linked_issue_status: 'Done',
        issue_created_at: '2024-05-01T08:00:00.000Z',
      },
    ]);
  });

  it('tells "keep the stored remote links" (fetch failed) apart from "there are none"', () => {
    expect(issueRows(document({ remoteLinks: undefined }), options).remote_links).toBeUndefined();
    expect(issueRows(document({ remoteLinks: [] }), options).remote_links).toEqual([]);
    const rows = issueRows(document(), options).remote_links!;
    expect(rows[0]).toEqual({
      issue_key: 'OPS-42',
      remote_link_id: '10000',
      url: `https://wiki.acme.example/pages/1?secret_share=${REDACTED}`,
      title: 'Export runbook',
      application_name: 'Confluence',
      issue_created_at: '2024-05-01T08:00:00.000Z',
    });
    expect(rows[1]).toMatchObject({ remote_link_id: '10001', url: 'https://status.example.com', application_name: null });
  });

  it('counts what it writes and drops list entries without an id', () => {
    const issue = issueJson();
    issue.fields.attachment.push({ filename: 'no-id.txt' } as never);
    const rows = issueRows(document({ issue, comments: [...commentsJson(), { body: 'orphan' }, null] }), options);
    expect(rows.attachments).toHaveLength(2);
    expect(rows.issues[0]).toMatchObject({ attachment_count: 2, comment_count: 2 });
    expect(rows.comments).toHaveLength(2);
  });

  it('refuses an issue without a valid key, and reads a sparse issue without throwing', () => {
    expect(() => issueRows(document({ issue: { key: '../etc', fields: {} } }), options)).toThrow(/Not a Jira issue key/);
    expect(() => issueRows(document({ issue: null }), options)).toThrow(/Not a Jira issue key/);
    const rows = issueRows(
      { issue: { key: 'OPS-1', fields: { status: 'odd', labels: 'x', duedate: '2024-02-30' } }, comments: [], histories: [], remoteLinks: [], syncedAt },
      options,
    );
    expect(rows.issues[0]).toMatchObject({ status: null, labels: '[]', due_date: null, created_at: null, description: null, cf_status: null });
  });
});

describe('isIssueKey and monthOf', () => {
  it('accepts Jira keys only', () => {
    for (const key of ['OPS-1', 'A1B2-123456789012', 'X-0']) expect(isIssueKey(key), key).toBe(true);
    for (const key of ['ops-1', '1OPS-1', 'OPS-', 'OPS-1234567890123', 'OPS_1', ' OPS-1', 'OPS-1\n', 42]) expect(isIssueKey(key), String(key)).toBe(false);
  });

  it('gives the UTC month of created_at, or the current month when there is none', () => {
    expect(monthOf('2024-05-01T08:00:00.000Z')).toBe('2024-05');
    expect(monthOf('2024-06-01T01:00:00.000+0200')).toBe('2024-05');
    expect(monthOf(null, new Date('2025-01-15T00:00:00Z'))).toBe('2025-01');
    expect(monthOf('garbage', new Date('2025-02-15T00:00:00Z'))).toBe('2025-02');
  });
});
