// The Jira Cloud REST API v3 client the connector runs on (JiraApi): the issue refetch with its
// comment, changelog and remote-link completions, the JQL search and attachment downloads.
// Basic auth with the API user's email and token (https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/).
import { JiraConfigError, JiraMalformedResponseError } from '../errors.js';
import { downloadAttachment } from './download.js';
import { JiraHttp, type JiraClientOptions } from './http.js';
import { isSecureOrLoopback } from './site.js';
import type { DownloadResult, IssueFields, JiraApi, SearchPage, SearchRequest } from './types.js';

export type { JiraClientOptions, JiraRetryPolicy } from './http.js';

const API = '/rest/api/3';
/** The most Jira returns per page of comments or changelog. */
const PAGE_SIZE = 100;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const issuePath = (key: string, sub = ''): string => `${API}/issue/${encodeURIComponent(key)}${sub}`;

export class JiraClient implements JiraApi {
  private readonly http: JiraHttp;

  constructor(o: JiraClientOptions) {
    let site: URL;
    try {
      site = new URL(o.siteUrl);
    } catch {
      throw new JiraConfigError(`The Jira site URL is not a URL: ${JSON.stringify(o.siteUrl)}`);
    }
    if (!isSecureOrLoopback(site)) throw new JiraConfigError(`The Jira site must use https (plain http only on a loopback host): ${site.origin}`);
    this.http = new JiraHttp({ ...o, siteUrl: site.origin });
  }

  async getIssue(key: string, signal: AbortSignal): Promise<unknown> {
    const path = issuePath(key);
    const issue = await this.http.json('GET', path, { query: { fields: '*all', expand: 'renderedFields,changelog' }, signal, notFound: 'null' });
    return issue === null ? null : expectObject(issue, 'GET', path);
  }

  async getIssueFields(key: string, fields: readonly string[], signal: AbortSignal): Promise<IssueFields | null> {
    const path = issuePath(key);
    const issue = await this.http.json('GET', path, { query: { fields: fields.join(',') }, signal, notFound: 'null' });
    if (issue === null) return null;
    const o = expectObject(issue, 'GET', path);
    if (typeof o.key !== 'string') throw new JiraMalformedResponseError(`GET ${path} answered an issue without a key`, { method: 'GET', path });
    return { id: String(o.id ?? ''), key: o.key, fields: isObject(o.fields) ? o.fields : {} };
  }

  /**
   * Pages `startAt` from 0 in creation order until `total` is reached. Stops early, with what it
   * has, when a page is empty or brings no new comment (a server ignoring `startAt` would
   * otherwise be paged forever); the caller compares the count with the issue's `total`.
   */
  async getComments(key: string, signal: AbortSignal): Promise<unknown[]> {
    const path = issuePath(key, '/comment');
    return this.pages(path, signal, { orderBy: 'created' }, (page) => {
      const total = typeof page.total === 'number' ? page.total : undefined;
      return { items: arrayField(page, 'comments', path), done: (seen) => total === undefined || seen >= total };
    });
  }

  /** Pages `GET /issue/{key}/changelog` (oldest first) until `isLast`, or `total` when Jira does not say. */
  async getChangelog(key: string, signal: AbortSignal): Promise<unknown[]> {
    const path = issuePath(key, '/changelog');
    return this.pages(path, signal, {}, (page) => {
      const total = typeof page.total === 'number' ? page.total : undefined;
      const isLast = typeof page.isLast === 'boolean' ? page.isLast : undefined;
      return { items: arrayField(page, 'values', path), done: (seen) => isLast ?? (total === undefined || seen >= total) };
    });
  }

  /** 404 → [] (no such issue, so no links); any other failure, after the retries → undefined: keep the stored rows. */
  async getRemoteLinks(key: string, signal: AbortSignal): Promise<unknown[] | undefined> {
    const path = issuePath(key, '/remotelink');
    try {
      const links = await this.http.json('GET', path, { signal, notFound: 'null' });
      if (links === null) return [];
      if (!Array.isArray(links))
        throw new JiraMalformedResponseError(`GET ${path} answered something that is not a list of remote links`, { method: 'GET', path });
      return links;
    } catch (e) {
      if (signal.aborted) throw e;
      this.http.logger.warn(
        { issue: key, code: (e as { code?: unknown }).code },
        `remote links of ${key} not fetched; the stored ones are kept: ${(e as Error).message}`,
      );
      return undefined;
    }
  }

  /** One page of `POST /search/jql`; the last page has no `nextPageToken`. */
  async search(request: SearchRequest, signal: AbortSignal): Promise<SearchPage> {
    const path = `${API}/search/jql`;
    const body = {
      jql: request.jql,
      // Without fields Jira answers ids only; `updated` is the cheapest field that brings the key along.
      fields: request.fields?.length ? request.fields : ['updated'],
      maxResults: request.maxResults ?? PAGE_SIZE,
      ...(request.nextPageToken ? { nextPageToken: request.nextPageToken } : {}),
    };
    const page = expectObject(await this.http.json('POST', path, { body, signal }), 'POST', path);
    const issues = arrayField(page, 'issues', path).map((i) => {
      if (!isObject(i) || typeof i.id !== 'string' || typeof i.key !== 'string') {
        throw new JiraMalformedResponseError(`POST ${path} answered an issue without id and key (ask for at least one field, e.g. updated)`, {
          method: 'POST',
          path,
        });
      }
      return { id: i.id, key: i.key, fields: isObject(i.fields) ? i.fields : {} };
    });
    const token = page.isLast !== true && typeof page.nextPageToken === 'string' && page.nextPageToken ? page.nextPageToken : undefined;
    return token ? { issues, nextPageToken: token } : { issues };
  }

  /** Throws a JiraError when the site or media host fails after the retries; refusals and oversize bodies are results. */
  downloadAttachment(contentUrl: string, dest: string, maxBytes: number, signal: AbortSignal): Promise<DownloadResult> {
    return downloadAttachment(this.http, contentUrl, dest, maxBytes, signal);
  }

  /** Pages a `startAt` list, de-duplicated by `id` in the order first seen. */
  private async pages(
    path: string,
    signal: AbortSignal,
    query: Record<string, string>,
    read: (page: Json) => { items: unknown[]; done: (seen: number) => boolean },
  ): Promise<unknown[]> {
    const byId = new Map<string, unknown>();
    for (let startAt = 0; ;) {
      const page = expectObject(await this.http.json('GET', path, { query: { ...query, startAt, maxResults: PAGE_SIZE }, signal }), 'GET', path);
      const { items, done } = read(page);
      let fresh = 0;
      for (const item of items) {
        const id = isObject(item) && (typeof item.id === 'string' || typeof item.id === 'number') ? String(item.id) : `#${byId.size}`;
        if (byId.has(id)) continue;
        byId.set(id, item);
        fresh++;
      }
      startAt += items.length;
      if (items.length === 0 || fresh === 0 || done(startAt)) return [...byId.values()];
    }
  }
}

function expectObject(value: unknown, method: string, path: string): Json {
  if (isObject(value)) return value;
  throw new JiraMalformedResponseError(`${method} ${path} answered something that is not a JSON object`, { method, path });
}

function arrayField(page: Json, field: string, path: string): unknown[] {
  const v = page[field];
  if (v === undefined) return [];
  if (Array.isArray(v)) return v;
  throw new JiraMalformedResponseError(`${path} answered a page whose ${field} is not a list`, { path });
}
