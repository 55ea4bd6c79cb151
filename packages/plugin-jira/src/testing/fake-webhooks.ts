// Webhook deliveries as Jira Cloud sends them (https://developer.atlassian.com/cloud/jira/platform/webhooks/):
// - every body has `timestamp` (epoch ms) and `webhookEvent`;
// - jira:issue_created/updated/deleted add `issue_event_type_name`, `user` and the whole `issue`
//   (updated also `changelog: { id, items }`, and `comment` for issue_commented);
// - comment_created/updated/deleted carry `comment` and an `issue` summary (id, key, summary,
//   issuetype, project, assignee, priority, status) — as in captured Cloud deliveries;
// - attachment_created/deleted carry only `attachment`: no issue. Captured deliveries and
//   integrators report the issue is missing (malko/rocketchat-jira-hook#13 "Not enough info on
//   issue"); a connector must find the issue another way (the `jira:issue_updated` with an
//   `Attachment` changelog item that accompanies it, or a search);
// - issuelink_created/deleted carry `issueLink: { id, sourceIssueId, destinationIssueId,
//   issueLinkType, systemLink }` with numeric issue ids, never keys.
// Entities use the v2 representation (self links to /rest/api/2, text bodies, no emailAddress).
// Headers: X-Atlassian-Webhook-Identifier, X-Atlassian-Webhook-Flow (Primary | Secondary: the
// cascade of an issue deletion), X-Atlassian-Webhook-Retry on retries, and for a webhook with a
// secret `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>` (WebSub style).
import { createHmac, randomUUID } from 'node:crypto';
import { FAKE_USERS } from './fake-catalog.js';
import type { FakeChangeItem, FakeUser, StoredComment, StoredIssue, StoredLink } from './fake-model.js';
import {
  attachmentJson,
  commentJson,
  issueJson,
  issuetypeJson,
  priorityJson,
  projectJson,
  selectFields,
  statusJson,
  userJson,
  type RenderContext,
} from './fake-shapes.js';

export type WebhookEvent =
  | 'jira:issue_created'
  | 'jira:issue_updated'
  | 'jira:issue_deleted'
  | 'comment_created'
  | 'comment_updated'
  | 'comment_deleted'
  | 'attachment_created'
  | 'attachment_deleted'
  | 'issuelink_created'
  | 'issuelink_deleted';

export interface WebhookOptions {
  /** Sign the body with this secret. */
  secret?: string;
  /** Jira sends `X-Hub-Signature`; `X-Hub-Signature-256` is GitHub's name, for testing a receiver's tolerance. */
  header?: 'X-Hub-Signature' | 'X-Hub-Signature-256';
  /** `sha256=<hex>` (Jira's form, default) or the bare hex. */
  prefix?: boolean;
  timestamp?: number;
  /** Who caused the event (default: the change's author or the fake agent). */
  user?: FakeUser;
  /** `issue_event_type_name` (default: issue_created / issue_updated, issue_generic for a transition / issue_deleted). */
  eventTypeName?: string;
  /** jira:issue_updated: the change (default: the issue's newest changelog history). */
  changelog?: { id?: string; items: FakeChangeItem[] };
  /** The comment of a comment_* event (default: the newest / last edited / last deleted one). */
  commentId?: string;
  attachmentId?: string;
  linkId?: string;
  identifier?: string;
  flow?: 'Primary' | 'Secondary';
  /** Sets X-Atlassian-Webhook-Retry, as a redelivery has it. */
  retry?: number;
}

export interface WebhookDelivery {
  /** The raw JSON body, exactly the bytes that are signed. */
  body: string;
  headers: Record<string, string>;
}

/** Hex HMAC-SHA256 of the body, what follows `sha256=` in X-Hub-Signature. */
export function sign(body: string | Buffer, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

function lastMatching<T>(entries: Iterable<T>, ok: (t: T) => boolean): T | undefined {
  let found: T | undefined;
  for (const e of entries) if (ok(e)) found = e;
  return found;
}

function issueSummary(issue: StoredIssue, ctx: RenderContext): Record<string, unknown> {
  return {
    id: issue.id,
    self: `${ctx.base}/rest/api/2/issue/${issue.id}`,
    key: issue.key,
    fields: {
      summary: issue.summary,
      issuetype: issuetypeJson(issue.issuetype, ctx),
      project: projectJson(issue.projectKey, ctx),
      assignee: userJson(issue.assignee, ctx),
      priority: priorityJson(issue.priority, ctx),
      status: statusJson(issue.status, ctx),
    },
  };
}

function findComment(event: WebhookEvent, issue: StoredIssue, o: WebhookOptions, ctx: RenderContext): StoredComment {
  const removed = [...ctx.store.removed.comments.values()].filter((r) => r.issueKey === issue.key).map((r) => r.comment);
  const pool = [...issue.comments, ...removed];
  const c = o.commentId
    ? pool.find((x) => x.id === o.commentId)
    : event === 'comment_deleted'
      ? removed.at(-1)
      : event === 'comment_updated'
        ? [...issue.comments].sort((a, b) => a.updated - b.updated).at(-1)
        : issue.comments.at(-1);
  if (!c) throw new Error(`fake jira: no comment for ${event} on ${issue.key}`);
  return c;
}

function findLink(event: WebhookEvent, key: string, o: WebhookOptions, ctx: RenderContext): StoredLink {
  const s = ctx.store;
  const touches = (l: StoredLink): boolean => l.sourceKey === key || l.destinationKey === key;
  const l = o.linkId
    ? (s.links.get(o.linkId) ?? s.removed.links.get(o.linkId))
    : event === 'issuelink_deleted'
      ? lastMatching(s.removed.links.values(), touches)
      : lastMatching(s.links.values(), touches);
  if (!l) throw new Error(`fake jira: no issue link for ${event} on ${key}`);
  return l;
}

/** The numeric id of a link end, wherever it is now (in the store, deleted, or outside it). */
function endId(key: string, link: StoredLink, ctx: RenderContext): number {
  const i = ctx.store.get(key) ?? ctx.store.removed.issues.get(key);
  return Number(i?.id ?? link.external?.id ?? 0);
}

function payload(event: WebhookEvent, issue: StoredIssue, o: WebhookOptions, ctx: RenderContext): Record<string, unknown> {
  const base = { timestamp: o.timestamp ?? Date.now(), webhookEvent: event };
  if (event.startsWith('jira:issue_')) {
    const history = event === 'jira:issue_updated' ? (o.changelog ?? issue.histories.at(-1)) : undefined;
    const transition = history?.items.some((i) => i.field === 'status');
    const typeName =
      o.eventTypeName ??
      (event === 'jira:issue_created' ? 'issue_created' : event === 'jira:issue_deleted' ? 'issue_deleted' : transition ? 'issue_generic' : 'issue_updated');
    const author =
      o.user ?? (history && 'author' in history ? (history.author as FakeUser) : event === 'jira:issue_created' ? issue.creator : FAKE_USERS.agent);
    return {
      ...base,
      issue_event_type_name: typeName,
      user: userJson(author, ctx),
      issue: issueJson(issue, selectFields(undefined, 'all', ctx), new Set(), ctx),
      ...(history ? { changelog: { id: history.id ?? '0', items: history.items } } : {}),
      ...(o.commentId ? { comment: commentJson(findComment('comment_created', issue, o, ctx), issue, ctx) } : {}),
    };
  }
  if (event.startsWith('comment_')) return { ...base, comment: commentJson(findComment(event, issue, o, ctx), issue, ctx), issue: issueSummary(issue, ctx) };
  if (event.startsWith('attachment_')) {
    const removed = [...ctx.store.removed.attachments.values()].filter((r) => r.issueKey === issue.key).map((r) => r.attachment);
    const a = o.attachmentId
      ? [...issue.attachments, ...removed].find((x) => x.id === o.attachmentId)
      : event === 'attachment_deleted'
        ? removed.at(-1)
        : issue.attachments.at(-1);
    if (!a) throw new Error(`fake jira: no attachment for ${event} on ${issue.key}`);
    return { ...base, attachment: attachmentJson(a, ctx) };
  }
  const l = findLink(event, issue.key, o, ctx);
  const t = ctx.store.catalog.linkType(l.type);
  return {
    ...base,
    issueLink: {
      id: Number(l.id),
      sourceIssueId: endId(l.sourceKey, l, ctx),
      destinationIssueId: endId(l.destinationKey, l, ctx),
      issueLinkType: { id: Number(t.id), name: t.name, outwardName: t.outward, inwardName: t.inward, isSubTaskLinkType: false, isSystemLinkType: false },
      systemLink: false,
    },
  };
}

/** Builds the delivery of `event` about issue `key` from the store's current (or deleted) state. */
export function buildWebhook(event: WebhookEvent, key: string, o: WebhookOptions, ctx: RenderContext): WebhookDelivery {
  const issue = ctx.store.get(key) ?? ctx.store.removed.issues.get(key);
  if (!issue) throw new Error(`fake jira: no issue ${key}, live or deleted`);
  const body = JSON.stringify(payload(event, issue, o, ctx));
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': 'Atlassian Webhook HTTP Client',
    'x-atlassian-webhook-identifier': o.identifier ?? randomUUID(),
    'x-atlassian-webhook-flow': o.flow ?? 'Primary',
  };
  if (o.retry !== undefined) headers['x-atlassian-webhook-retry'] = String(o.retry);
  if (o.secret !== undefined) {
    const hex = sign(body, o.secret);
    headers[(o.header ?? 'X-Hub-Signature').toLowerCase()] = o.prefix === false ? hex : `sha256=${hex}`;
  }
  return { body, headers };
}

/** POSTs the delivery to `targetUrl` and returns what the receiver answered. */
export async function deliver(targetUrl: string, d: WebhookDelivery): Promise<{ status: number; body: string; headers: Record<string, string> }> {
  const res = await fetch(targetUrl, { method: 'POST', headers: d.headers, body: d.body });
  return { status: res.status, body: await res.text(), headers: Object.fromEntries(res.headers.entries()) };
}
