// JSON shapes of Jira Cloud entities, rendered from the store. Two representations:
// - api 3 (REST API v3, what the connector fetches): descriptions and comment bodies are ADF,
//   users carry emailAddress, `self` links point at /rest/api/3
//   (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-get,
//   https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-comments/);
// - api 2, what webhooks carry: captured Cloud deliveries link to /rest/api/2, bodies are plain
//   strings (wiki markup in Jira; the ADF's text here) and users have no emailAddress.
// Embedded lists are truncated as Jira truncates them: `fields.comment` holds the newest 100
// comments with the page's startAt/total, `expand=changelog` the newest 100 histories (newest first,
// "sorted by date, starting from the most recent") with the total.
import { adfToHtml, adfToText } from './fake-adf.js';
import { STATUS_CATEGORIES, type LinkType } from './fake-catalog.js';
import type { FakeUser, StoredAttachment, StoredComment, StoredHistory, StoredIssue, StoredLink, StoredRemoteLink, StoredStatus } from './fake-model.js';
import type { FakeJiraStore } from './fake-store.js';
import { friendlyDateTime, jiraDateTime } from './fake-time.js';

export interface RenderContext {
  base: string;
  api: 2 | 3;
  offsetMinutes: number;
  store: FakeJiraStore;
  customFieldNames: Record<string, string>;
}

export const EMBEDDED_LIMIT = 100;

const SYSTEM_FIELDS = [
  'issuetype',
  'project',
  'resolution',
  'resolutiondate',
  'created',
  'updated',
  'priority',
  'labels',
  'assignee',
  'status',
  'creator',
  'reporter',
  'summary',
  'description',
  'duedate',
  'environment',
  'issuelinks',
  'attachment',
  'comment',
  'subtasks',
  'components',
  'fixVersions',
] as const;

const SYSTEM_NAMES: Record<string, string> = {
  issuetype: 'Issue Type',
  project: 'Project',
  resolution: 'Resolution',
  resolutiondate: 'Resolved',
  created: 'Created',
  updated: 'Updated',
  priority: 'Priority',
  labels: 'Labels',
  assignee: 'Assignee',
  status: 'Status',
  creator: 'Creator',
  reporter: 'Reporter',
  summary: 'Summary',
  description: 'Description',
  duedate: 'Due date',
  environment: 'Environment',
  issuelinks: 'Linked Issues',
  attachment: 'Attachment',
  comment: 'Comment',
  subtasks: 'Sub-tasks',
  components: 'Components',
  fixVersions: 'Fix versions',
};

/** Fields left out of `*navigable` (the default of the old search); Jira does not show comments in issue lists. */
const NOT_NAVIGABLE = new Set(['comment']);

export function fieldName(id: string, ctx: RenderContext): string {
  return SYSTEM_NAMES[id] ?? ctx.customFieldNames[id] ?? `Custom field (${id})`;
}

/** Every field id of the site: system fields, then the custom fields in use. */
export function allFieldIds(ctx: RenderContext): string[] {
  return [...SYSTEM_FIELDS, ...new Set([...Object.keys(ctx.customFieldNames), ...ctx.store.customFieldIds])];
}

/**
 * The field ids a `fields` parameter selects: `*all`, `*navigable`, ids, `-id` exclusions.
 * `undefined` means the endpoint's default (`all` for GET issue, none for search/jql).
 */
export function selectFields(requested: string[] | undefined, whenAbsent: 'all' | 'none', ctx: RenderContext): string[] {
  const all = allFieldIds(ctx);
  if (!requested) return whenAbsent === 'all' ? all : [];
  const picked = new Set<string>();
  const excluded = new Set<string>();
  for (const raw of requested) {
    const f = raw.trim();
    if (f === '*all') all.forEach((x) => picked.add(x));
    else if (f === '*navigable') all.filter((x) => !NOT_NAVIGABLE.has(x)).forEach((x) => picked.add(x));
    else if (f.startsWith('-')) excluded.add(f.slice(1));
    else if (all.includes(f)) picked.add(f);
  }
  if (picked.size === 0 && excluded.size > 0) all.forEach((x) => picked.add(x));
  return [...picked].filter((x) => !excluded.has(x));
}

const api = (ctx: RenderContext): string => `${ctx.base}/rest/api/${ctx.api}`;
const time = (ms: number | null, ctx: RenderContext): string | null => (ms === null ? null : jiraDateTime(ms, ctx.offsetMinutes));

export function userJson(u: FakeUser | null, ctx: RenderContext): Record<string, unknown> | null {
  if (!u) return null;
  const avatar = (s: number): string => `https://avatar-management.example/initials/${encodeURIComponent(u.displayName.slice(0, 2))}-${s}.png`;
  return {
    self: `${api(ctx)}/user?accountId=${encodeURIComponent(u.accountId)}`,
    accountId: u.accountId,
    ...(ctx.api === 3 && u.emailAddress ? { emailAddress: u.emailAddress } : {}),
    avatarUrls: { '48x48': avatar(48), '24x24': avatar(24), '16x16': avatar(16), '32x32': avatar(32) },
    displayName: u.displayName,
    active: u.active ?? true,
    timeZone: u.timeZone ?? 'Etc/UTC',
    accountType: 'atlassian',
  };
}

export function statusJson(s: StoredStatus, ctx: RenderContext): Record<string, unknown> {
  const c = STATUS_CATEGORIES[s.category];
  return {
    self: `${api(ctx)}/status/${s.id}`,
    description: '',
    iconUrl: `${ctx.base}/`,
    name: s.name,
    id: s.id,
    statusCategory: { self: `${api(ctx)}/statuscategory/${c.id}`, id: c.id, key: c.key, colorName: c.colorName, name: c.name },
  };
}

export function priorityJson(name: string | null, ctx: RenderContext): Record<string, unknown> | null {
  if (name === null) return null;
  const id = ctx.store.catalog.idOf('priority', name);
  return { self: `${api(ctx)}/priority/${id}`, iconUrl: `${ctx.base}/images/icons/priorities/${name.toLowerCase()}.svg`, name, id };
}

function resolutionJson(name: string | null, ctx: RenderContext): Record<string, unknown> | null {
  if (name === null) return null;
  const id = ctx.store.catalog.idOf('resolution', name);
  return { self: `${api(ctx)}/resolution/${id}`, id, description: '', name };
}

export function issuetypeJson(name: string, ctx: RenderContext): Record<string, unknown> {
  const id = ctx.store.catalog.idOf('issuetype', name);
  const level = name === 'Epic' ? 1 : name === 'Subtask' ? -1 : 0;
  return {
    self: `${api(ctx)}/issuetype/${id}`,
    id,
    description: '',
    iconUrl: `${ctx.base}/rest/api/2/universal_avatar/view/type/issuetype/avatar/10318`,
    name,
    subtask: level === -1,
    avatarId: 10318,
    hierarchyLevel: level,
  };
}

export function projectJson(projectKey: string, ctx: RenderContext): Record<string, unknown> {
  const p = ctx.store.project(projectKey);
  return { self: `${api(ctx)}/project/${p.id}`, id: p.id, key: p.key, name: p.name, projectTypeKey: 'service_desk', simplified: false, avatarUrls: {} };
}

export function commentJson(c: StoredComment, issue: StoredIssue, ctx: RenderContext, rendered = false): Record<string, unknown> {
  return {
    self: `${api(ctx)}/issue/${issue.id}/comment/${c.id}`,
    id: c.id,
    author: userJson(c.author, ctx),
    body: ctx.api === 3 ? c.body : adfToText(c.body),
    ...(rendered ? { renderedBody: adfToHtml(c.body) } : {}),
    updateAuthor: userJson(c.updateAuthor, ctx),
    created: time(c.created, ctx),
    updated: time(c.updated, ctx),
    jsdPublic: c.jsdPublic,
  };
}

export function attachmentJson(a: StoredAttachment, ctx: RenderContext): Record<string, unknown> {
  return {
    self: `${api(ctx)}/attachment/${a.id}`,
    id: a.id,
    filename: a.filename,
    author: userJson(a.author, ctx),
    created: time(a.created, ctx),
    size: a.bytes.length,
    mimeType: a.mimeType,
    content: `${api(ctx)}/attachment/content/${a.id}`,
    ...(a.mimeType.startsWith('image/') ? { thumbnail: `${api(ctx)}/attachment/thumbnail/${a.id}` } : {}),
  };
}

export function historyJson(h: StoredHistory, ctx: RenderContext): Record<string, unknown> {
  return { id: h.id, author: userJson(h.author, ctx), created: time(h.created, ctx), items: h.items };
}

export function linkTypeJson(t: LinkType, ctx: RenderContext): Record<string, unknown> {
  return { id: t.id, name: t.name, inward: t.inward, outward: t.outward, self: `${api(ctx)}/issueLinkType/${t.id}` };
}

/** The other end of a link as it appears inside `issuelinks` (key, summary, status, priority, type). */
function linkedIssueJson(key: string, link: StoredLink, ctx: RenderContext): Record<string, unknown> {
  const i = ctx.store.get(key);
  if (!i) {
    const e = link.external!;
    return {
      id: e.id,
      key,
      self: `${api(ctx)}/issue/${e.id}`,
      fields: { summary: e.summary, status: statusJson(e.status, ctx), priority: null, issuetype: issuetypeJson('Task', ctx) },
    };
  }
  return {
    id: i.id,
    key: i.key,
    self: `${api(ctx)}/issue/${i.id}`,
    fields: { summary: i.summary, status: statusJson(i.status, ctx), priority: priorityJson(i.priority, ctx), issuetype: issuetypeJson(i.issuetype, ctx) },
  };
}

export function issueLinkJson(link: StoredLink, forKey: string, ctx: RenderContext): Record<string, unknown> {
  const type = linkTypeJson(ctx.store.catalog.linkType(link.type), ctx);
  const side =
    link.sourceKey === forKey ? { outwardIssue: linkedIssueJson(link.destinationKey, link, ctx) } : { inwardIssue: linkedIssueJson(link.sourceKey, link, ctx) };
  return { id: link.id, self: `${api(ctx)}/issueLink/${link.id}`, type, ...side };
}

export function remoteLinkJson(r: StoredRemoteLink, issue: StoredIssue, ctx: RenderContext): Record<string, unknown> {
  return {
    id: r.id,
    self: `${api(ctx)}/issue/${issue.key}/remotelink/${r.id}`,
    ...(r.globalId ? { globalId: r.globalId } : {}),
    application: r.application ?? {},
    ...(r.relationship ? { relationship: r.relationship } : {}),
    object: {
      url: r.url,
      title: r.title,
      ...(r.summary ? { summary: r.summary } : {}),
      icon: {},
      ...(r.resolved !== undefined ? { status: { resolved: r.resolved, icon: {} } } : {}),
    },
  };
}

/** `fields.comment`: the newest comments (at most 100), oldest first, with their position in the whole list. */
function embeddedComments(issue: StoredIssue, ctx: RenderContext, rendered: boolean): Record<string, unknown> {
  const page = issue.comments.slice(-EMBEDDED_LIMIT);
  return {
    comments: page.map((c) => (rendered ? { ...commentJson(c, issue, ctx), body: adfToHtml(c.body) } : commentJson(c, issue, ctx))),
    self: `${api(ctx)}/issue/${issue.id}/comment`,
    maxResults: page.length,
    total: issue.comments.length,
    startAt: issue.comments.length - page.length,
  };
}

function fieldValue(id: string, issue: StoredIssue, ctx: RenderContext): unknown {
  switch (id) {
    case 'issuetype':
      return issuetypeJson(issue.issuetype, ctx);
    case 'project':
      return projectJson(issue.projectKey, ctx);
    case 'resolution':
      return resolutionJson(issue.resolution, ctx);
    case 'resolutiondate':
      return time(issue.resolutiondate, ctx);
    case 'created':
      return time(issue.created, ctx);
    case 'updated':
      return time(issue.updated, ctx);
    case 'priority':
      return priorityJson(issue.priority, ctx);
    case 'labels':
      return issue.labels;
    case 'assignee':
      return userJson(issue.assignee, ctx);
    case 'status':
      return statusJson(issue.status, ctx);
    case 'creator':
      return userJson(issue.creator, ctx);
    case 'reporter':
      return userJson(issue.reporter, ctx);
    case 'summary':
      return issue.summary;
    case 'description':
      return ctx.api === 3 ? issue.description : issue.description && adfToText(issue.description);
    case 'duedate':
      return issue.duedate;
    case 'environment':
      return null;
    case 'issuelinks':
      return ctx.store.linksOf(issue.key).map((l) => issueLinkJson(l, issue.key, ctx));
    case 'attachment':
      return issue.attachments.map((a) => attachmentJson(a, ctx));
    case 'comment':
      return embeddedComments(issue, ctx, false);
    case 'subtasks':
    case 'components':
    case 'fixVersions':
      return [];
    default:
      return issue.customFields[id] ?? null;
  }
}

function renderedValue(id: string, issue: StoredIssue, ctx: RenderContext): unknown {
  if (id === 'description') return issue.description && adfToHtml(issue.description);
  if (id === 'comment') return embeddedComments(issue, ctx, true);
  if (id === 'created' || id === 'updated' || id === 'resolutiondate') {
    const ms = issue[id];
    return ms === null ? null : friendlyDateTime(ms, ctx.offsetMinutes);
  }
  return null;
}

/** The v3 issue bean: `fields` holds the selected ids; `expand` adds renderedFields, names and changelog. */
export function issueJson(issue: StoredIssue, fieldIds: string[], expand: Set<string>, ctx: RenderContext): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const id of fieldIds) fields[id] = fieldValue(id, issue, ctx);
  const out: Record<string, unknown> = {
    expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
    id: issue.id,
    self: `${api(ctx)}/issue/${issue.id}`,
    key: issue.key,
    fields,
  };
  if (expand.has('renderedFields')) {
    const rendered: Record<string, unknown> = {};
    for (const id of fieldIds) rendered[id] = renderedValue(id, issue, ctx);
    out.renderedFields = rendered;
  }
  if (expand.has('names')) out.names = Object.fromEntries(fieldIds.map((id) => [id, fieldName(id, ctx)]));
  if (expand.has('changelog')) {
    const newest = issue.histories.slice(-EMBEDDED_LIMIT).reverse();
    out.changelog = { startAt: 0, maxResults: newest.length, total: issue.histories.length, histories: newest.map((h) => historyJson(h, ctx)) };
  }
  return out;
}
