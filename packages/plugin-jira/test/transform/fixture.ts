// A refetched Jira Cloud issue in REST v3's shapes (GET /rest/api/3/issue/{key}?fields=*all&
// expand=renderedFields,changelog; GET …/remotelink), trimmed to what the transform reads plus
// the neighbouring fields real answers carry.
const site = 'https://acme.atlassian.net';
const api = `${site}/rest/api/3`;

export const user = (name: string, email?: string) => ({
  self: `${api}/user?accountId=5b10${name.length}`,
  accountId: `5b10ac8d82e05b22cc7d4e${name.length}`,
  ...(email ? { emailAddress: email } : {}),
  avatarUrls: { '48x48': 'https://avatar-management.example/48.png' },
  displayName: name,
  active: true,
  timeZone: 'Europe/Prague',
  accountType: 'atlassian',
});

const jane = user('Jane Doe', 'jane@acme.example');
const bob = user('Bob Stone', 'bob@acme.example');
const hidden = user('Private Person');

const adf = (...content: unknown[]) => ({ type: 'doc', version: 1, content });
const para = (...content: unknown[]) => ({ type: 'paragraph', content });

const status = (name: string, category: { id: number; key: string; name: string }) => ({
  self: `${api}/status/3`,
  description: '',
  iconUrl: `${site}/`,
  name,
  id: '3',
  statusCategory: { self: `${api}/statuscategory/${category.id}`, id: category.id, key: category.key, colorName: 'yellow', name: category.name },
});

export function issueJson() {
  return {
    expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
    id: '10042',
    self: `${api}/issue/10042`,
    key: 'OPS-42',
    fields: {
      summary: 'Nightly export fails for EU',
      description: adf(
        para(
          { type: 'text', text: 'Export log: ' },
          {
            type: 'text',
            text: 'signed link',
            marks: [{ type: 'link', attrs: { href: 'https://files.acme.example/log.txt?X-Amz-Signature=abc123&X-Amz-Date=20240501' } }],
          },
        ),
      ),
      issuetype: { self: `${api}/issuetype/10001`, id: '10001', name: 'Bug', subtask: false, hierarchyLevel: 0 },
      status: status('In Review', { id: 4, key: 'indeterminate', name: 'In Progress' }),
      priority: { self: `${api}/priority/2`, name: 'High', id: '2' },
      resolution: null,
      project: { self: `${api}/project/10000`, id: '10000', key: 'OPS', name: 'Operations', projectTypeKey: 'service_desk' },
      creator: jane,
      reporter: hidden,
      assignee: bob,
      created: '2024-05-01T10:00:00.000+0200',
      updated: '2024-05-03T17:30:12.345+0000',
      resolutiondate: null,
      duedate: '2024-05-31',
      labels: ['export', 'eu'],
      attachment: [
        {
          self: `${api}/attachment/20001`,
          id: '20001',
          filename: 'export.log',
          author: jane,
          created: '2024-05-01T10:05:00.000+0200',
          size: 2048,
          mimeType: 'text/plain',
          content: `${api}/attachment/content/20001`,
        },
        {
          self: `${api}/attachment/20002`,
          id: '20002',
          filename: 'screen.png',
          author: bob,
          created: '2024-05-02T08:00:00.000+0000',
          size: 51234,
          mimeType: 'image/png',
          content: `${api}/attachment/content/20002?token=eyJhbGciOi`,
          thumbnail: `${api}/attachment/thumbnail/20002`,
        },
      ],
      issuelinks: [
        {
          id: '30001',
          self: `${api}/issueLink/30001`,
          type: { id: '10000', name: 'Blocks', inward: 'is blocked by', outward: 'blocks', self: `${api}/issueLinkType/10000` },
          outwardIssue: {
            id: '10050',
            key: 'OPS-50',
            self: `${api}/issue/10050`,
            fields: { summary: 'Monthly report', status: status('To Do', { id: 2, key: 'new', name: 'To Do' }) },
          },
        },
        {
          id: '30002',
          self: `${api}/issueLink/30002`,
          type: { id: '10001', name: 'Cloners', inward: 'is cloned by', outward: 'clones', self: `${api}/issueLinkType/10001` },
          inwardIssue: {
            id: '10007',
            key: 'DATA-7',
            self: `${api}/issue/10007`,
            fields: { summary: 'Old export bug', status: status('Done', { id: 3, key: 'done', name: 'Done' }) },
          },
        },
      ],
      comment: { comments: [], self: `${api}/issue/10042/comment`, maxResults: 0, total: 2, startAt: 0 },
      customfield_10050: { id: '1', name: 'Time to first response', ongoingCycle: { breached: false, remainingTime: { millis: 3600000 } } },
      customfield_10060: [{ value: 'EU', id: '10100' }],
      customfield_10080: 'https://grafana.acme.example/d/x?auth=abc',
    },
  };
}

export function commentsJson() {
  const comment = (id: string, author: unknown, body: unknown, created: string, jsdPublic?: unknown) => ({
    self: `${api}/issue/10042/comment/${id}`,
    id,
    author,
    body,
    updateAuthor: author,
    created,
    updated: created,
    ...(jsdPublic === undefined ? {} : { jsdPublic }),
  });
  return [
    comment(
      '40001',
      jane,
      adf(para({ type: 'text', text: 'Reproduced, see ' }, { type: 'inlineCard', attrs: { url: 'https://ci.acme.example/run/9?jwt=eyJ0eXAi' } })),
      '2024-05-01T11:00:00.000+0000',
      true,
    ),
    comment(
      '40002',
      bob,
      adf(para({ type: 'mention', attrs: { id: 'x', text: '@Jane Doe' } }, { type: 'text', text: ' internal note' })),
      '2024-05-02T09:15:00.000-0500',
      false,
    ),
  ];
}

/** Changelog histories: one history changes the attachment field twice (two files uploaded together). */
export function historiesJson() {
  return [
    {
      id: '50002',
      author: bob,
      created: '2024-05-02T08:00:00.000+0000',
      items: [
        { field: 'Attachment', fieldtype: 'jira', fieldId: 'attachment', from: null, fromString: null, to: '20002', toString: 'screen.png' },
        { field: 'Attachment', fieldtype: 'jira', fieldId: 'attachment', from: null, fromString: null, to: '20003', toString: 'screen-2.png' },
      ],
    },
    {
      id: '50001',
      author: jane,
      created: '2024-05-01T12:00:00.000+0000',
      items: [
        { field: 'status', fieldtype: 'jira', fieldId: 'status', from: '1', fromString: 'To Do', to: '3', toString: 'In Review' },
        { field: 'Link', fieldtype: 'jira', from: null, fromString: null, to: 'OPS-50', toString: 'This issue blocks OPS-50' },
        {
          field: 'description',
          fieldtype: 'jira',
          fieldId: 'description',
          from: null,
          fromString: 'old https://x.test/?password=hunter2',
          to: null,
          toString: 'new',
        },
      ],
    },
  ];
}

export function remoteLinksJson() {
  return [
    {
      id: 10000,
      self: `${api}/issue/OPS-42/remotelink/10000`,
      globalId: 'system=https://wiki.acme.example&id=1',
      application: { type: 'com.atlassian.confluence', name: 'Confluence' },
      relationship: 'mentioned in',
      object: { url: 'https://wiki.acme.example/pages/1?secret_share=xyz', title: 'Export runbook', icon: {} },
    },
    { id: 10001, self: `${api}/issue/OPS-42/remotelink/10001`, application: {}, object: { url: 'https://status.example.com', title: 'Status page', icon: {} } },
  ];
}

export const SITE_URL = `${site}/`;
