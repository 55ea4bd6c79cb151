// The enhanced JQL search, `GET|POST /rest/api/3/search/jql`
// (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-post):
// body/query `jql`, `nextPageToken`, `maxResults` (default 50), `fields` (default: ids only),
// `expand` (a comma-separated string); answer `{ issues, nextPageToken?, isLast }`. The token is
// opaque and, as on Cloud, absent on the last page (JRACLOUD-92184). Jira may return fewer issues
// than asked when fields are requested: the fake caps such pages (100 by default) and id-only
// pages at 5000, so paging code must follow the token, not count. The old `/rest/api/3/search`
// answers 410 with Atlassian's removal notice (CHANGE-2046).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { compareIssues, compileJql, JqlError, type JqlContext } from './fake-jql.js';
import { issueJson, selectFields, type RenderContext } from './fake-shapes.js';

export const SEARCH_GONE =
  'The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046';

const commaList = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean));

export const searchRequestSchema = z.object({
  jql: z.string().optional(),
  nextPageToken: z.string().nullish(),
  maxResults: z.coerce.number().int().min(0).optional(),
  fields: commaList.optional(),
  expand: commaList.optional(),
  properties: commaList.optional(),
  fieldsByKeys: z.union([z.boolean(), z.string()]).optional(),
  failFast: z.union([z.boolean(), z.string()]).optional(),
  reconcileIssues: z.unknown().optional(),
});

export type SearchRequest = z.output<typeof searchRequestSchema>;

export interface SearchLimits {
  /** Most issues a page holds when fields are requested. */
  withFields: number;
  /** Most issues a page holds when only ids are asked for. */
  idsOnly: number;
}

const hash = (s: string): string => createHash('sha1').update(s).digest('hex').slice(0, 12);

export class FakeSearch {
  private readonly cache = new Map<string, { version: number; keys: string[] }>();

  constructor(private readonly limits: SearchLimits) {}

  /** One page of results; throws JqlError for what Jira answers 400. */
  page(req: SearchRequest, render: RenderContext, jqlCtx: JqlContext): { issues: unknown[]; nextPageToken?: string; isLast: boolean } {
    const jql = req.jql ?? '';
    const keys = this.matchingKeys(jql, jqlCtx);
    let offset = 0;
    if (req.nextPageToken) {
      const t = decodeToken(req.nextPageToken);
      if (!t || t.q !== hash(jql)) throw new JqlError('The provided next page token is invalid or expired.');
      offset = t.o;
    }
    const fieldIds = selectFields(req.fields, 'none', render);
    const cap = fieldIds.length ? this.limits.withFields : this.limits.idsOnly;
    const size = Math.min(req.maxResults ?? 50, cap);
    const slice = keys.slice(offset, offset + size);
    const expand = new Set(req.expand ?? []);
    const issues = slice.flatMap((k) => {
      const issue = render.store.get(k);
      if (!issue) return [];
      return [fieldIds.length || expand.size ? issueJson(issue, fieldIds, expand, render) : { id: issue.id }];
    });
    const next = offset + slice.length;
    const isLast = next >= keys.length || size === 0;
    return isLast ? { issues, isLast } : { issues, nextPageToken: encodeToken({ q: hash(jql), o: next }), isLast };
  }

  private matchingKeys(jql: string, ctx: JqlContext): string[] {
    const compiled = compileJql(jql, ctx);
    const hit = this.cache.get(jql);
    // Relative dates ("-1d") move with the clock, so only absolute queries are cached.
    const relative = /[-+]\d+[wdhm]\b/.test(jql);
    if (hit && hit.version === ctx.store.version && !relative) return hit.keys;
    const keys = [...ctx.store.issues.values()]
      .filter(compiled.matches)
      .sort(compareIssues(compiled.order))
      .map((i) => i.key);
    this.cache.set(jql, { version: ctx.store.version, keys });
    return keys;
  }
}

function encodeToken(t: { q: string; o: number }): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

function decodeToken(s: string): { q: string; o: number } | undefined {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as { q?: unknown; o?: unknown };
    return typeof t.q === 'string' && typeof t.o === 'number' ? { q: t.q, o: t.o } : undefined;
  } catch {
    return undefined;
  }
}
