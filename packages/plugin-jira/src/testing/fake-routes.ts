// The REST endpoints of the fake Jira (under /rest/api/3, and /rest/api/2 for the links webhooks
// carry), answering with Jira Cloud's shapes and status codes:
// - GET issue/{idOrKey}?fields&expand — https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-get
// - GET issue/{idOrKey}/comment?startAt&maxResults&orderBy&expand=renderedBody (PageOfComments, oldest
//   first, at most 100 a page) — https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-comments/
// - GET issue/{idOrKey}/changelog?startAt&maxResults (PageBean: values, isLast, total, nextPage;
//   oldest first, at most 100) — https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-changelog-get
// - GET issue/{idOrKey}/remotelink (an array) — https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-remote-links/
// - GET attachment/{id}, GET attachment/content/{id}?redirect — by default a 303 to a media URL
//   that needs no Basic auth, with redirect=false the bytes —
//   https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-attachments/
// - GET|POST search/jql (fake-search.ts); GET|POST search → 410 Gone
// - GET myself, GET field
// Unknown issues answer 404 {"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{}}.
import type { ServerResponse } from 'node:http';
import { jiraError, sendBytes, sendJson } from './fake-http.js';
import { JqlError, type JqlContext } from './fake-jql.js';
import type { FakeUser, RecordedRequest } from './fake-model.js';
import { FakeSearch, SEARCH_GONE, searchRequestSchema } from './fake-search.js';
import {
  allFieldIds,
  attachmentJson,
  commentJson,
  fieldName,
  historyJson,
  issueJson,
  remoteLinkJson,
  selectFields,
  userJson,
  type RenderContext,
} from './fake-shapes.js';
import type { FakeJiraStore } from './fake-store.js';

export const ISSUE_NOT_FOUND = 'Issue does not exist or you do not have permission to see it.';
const PAGE_LIMIT = 100;

export interface RouteEnv {
  store: FakeJiraStore;
  search: FakeSearch;
  render: (api: 2 | 3) => RenderContext;
  jql: () => JqlContext;
  me: FakeUser;
  mediaToken: string;
}

const list = (v: string | undefined): string[] | undefined =>
  v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
const int = (v: string | undefined, dflt: number): number => (v !== undefined && /^\d+$/.test(v) ? Number(v) : dflt);

/** Answers one authenticated REST request; false when no route matches. */
export function route(req: RecordedRequest, res: ServerResponse, env: RouteEnv): boolean {
  const m = /^\/rest\/api\/(2|3|latest)\/(.*)$/.exec(req.path);
  if (!m) return false;
  const version = m[1] === '3' ? 3 : 2;
  const rest = m[2].replace(/\/$/, '');
  const ctx = env.render(version);
  const q = req.query;

  if (rest === 'search') {
    sendJson(res, 410, jiraError([SEARCH_GONE]));
    return true;
  }
  if (rest === 'search/jql') {
    if (req.method !== 'GET' && req.method !== 'POST') return methodNotAllowed(res);
    let raw: unknown = q;
    if (req.method === 'POST') {
      try {
        raw = req.body ? JSON.parse(req.body) : {};
      } catch {
        sendJson(res, 400, jiraError(['Invalid request payload. Refer to the REST API documentation and try again.']));
        return true;
      }
    }
    const parsed = searchRequestSchema.safeParse(raw);
    if (!parsed.success) {
      sendJson(res, 400, jiraError(['Invalid request payload. Refer to the REST API documentation and try again.']));
      return true;
    }
    try {
      sendJson(res, 200, env.search.page(parsed.data, ctx, env.jql()));
    } catch (e) {
      if (!(e instanceof JqlError)) throw e;
      sendJson(res, 400, jiraError([e.message]));
    }
    return true;
  }
  if (req.method !== 'GET') return methodNotAllowed(res);

  if (rest === 'myself') {
    sendJson(res, 200, {
      ...userJson(env.me, { ...ctx, api: 3 }),
      locale: 'en_US',
      groups: { size: 0, items: [] },
      applicationRoles: { size: 0, items: [] },
      expand: 'groups,applicationRoles',
    });
    return true;
  }
  if (rest === 'field') {
    sendJson(
      res,
      200,
      allFieldIds(ctx).map((id) => {
        const custom = id.startsWith('customfield_');
        return {
          id,
          key: id,
          name: fieldName(id, ctx),
          custom,
          orderable: true,
          navigable: id !== 'comment',
          searchable: true,
          clauseNames: custom ? [`cf[${id.slice(12)}]`, fieldName(id, ctx)] : [id],
          schema: custom
            ? { type: 'any', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:textfield', customId: Number(id.slice(12)) }
            : { type: 'any', system: id },
        };
      }),
    );
    return true;
  }

  const att = /^attachment\/(content\/)?(\d+)$/.exec(rest);
  if (att) {
    const found = env.store.attachment(att[2]);
    if (!found) {
      sendJson(res, 404, jiraError(['The attachment with ID ' + att[2] + ' does not exist.']));
      return true;
    }
    const a = found.attachment;
    if (!att[1]) sendJson(res, 200, attachmentJson(a, ctx));
    else if (q.redirect === 'false') sendBytes(res, a.bytes, a.mimeType, a.filename);
    else {
      res.writeHead(303, {
        location: `${ctx.base}/fake-media/file/${a.id}/binary?token=${env.mediaToken}&name=${encodeURIComponent(a.filename)}`,
        'content-length': '0',
      });
      res.end();
    }
    return true;
  }

  const im = /^issue\/([^/]+)(?:\/(comment|changelog|remotelink))?$/.exec(rest);
  if (!im) return false;
  const issue = env.store.get(decodeURIComponent(im[1]));
  if (!issue) {
    sendJson(res, 404, jiraError([ISSUE_NOT_FOUND]));
    return true;
  }
  const startAt = int(q.startAt, 0);
  const maxResults = Math.min(int(q.maxResults, PAGE_LIMIT), PAGE_LIMIT);

  if (!im[2]) {
    const fields = selectFields(list(q.fields), 'all', ctx);
    sendJson(res, 200, issueJson(issue, fields, new Set(list(q.expand) ?? []), ctx));
  } else if (im[2] === 'comment') {
    const ordered = q.orderBy === '-created' ? [...issue.comments].reverse() : issue.comments;
    const rendered = (list(q.expand) ?? []).includes('renderedBody');
    const page = ordered.slice(startAt, startAt + maxResults);
    sendJson(res, 200, { startAt, maxResults, total: issue.comments.length, comments: page.map((c) => commentJson(c, issue, ctx, rendered)) });
  } else if (im[2] === 'changelog') {
    const page = issue.histories.slice(startAt, startAt + maxResults);
    const isLast = startAt + page.length >= issue.histories.length;
    const self = (s: number): string => `${ctx.base}/rest/api/${version}/issue/${issue.key}/changelog?maxResults=${maxResults}&startAt=${s}`;
    sendJson(res, 200, {
      self: self(startAt),
      ...(isLast ? {} : { nextPage: self(startAt + page.length) }),
      maxResults,
      startAt,
      total: issue.histories.length,
      isLast,
      values: page.map((h) => historyJson(h, ctx)),
    });
  } else {
    sendJson(
      res,
      200,
      issue.remoteLinks.map((r) => remoteLinkJson(r, issue, ctx)),
    );
  }
  return true;
}

/** The media URL a content redirect points at: no Basic auth, only the signed token, like Atlassian's media API. */
export function routeMedia(req: RecordedRequest, res: ServerResponse, env: RouteEnv): boolean {
  const m = /^\/fake-media\/file\/(\d+)\/binary$/.exec(req.path);
  if (!m) return false;
  const found = env.store.attachment(m[1]);
  if (req.query.token !== env.mediaToken || !found)
    sendJson(res, req.query.token !== env.mediaToken ? 401 : 404, { error: 'media token invalid or file gone' });
  else sendBytes(res, found.attachment.bytes, found.attachment.mimeType, found.attachment.filename);
  return true;
}

function methodNotAllowed(res: ServerResponse): boolean {
  sendJson(res, 405, jiraError(['Method not allowed on this resource (fake Jira serves reads only).']));
  return true;
}
