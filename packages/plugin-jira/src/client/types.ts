// What the connector needs from Jira Cloud's REST API v3, as one interface: the refetch, the
// backfill and the jobs are written against it, the HTTP client (client.ts) implements it.
// Answers are Jira's JSON as it comes (`unknown`): the transform reads them defensively.

/** One page of `POST /rest/api/3/search/jql`. */
export interface SearchPage {
  /** Each `{ id, key, fields }` with the fields asked for. */
  issues: readonly { id: string; key: string; fields: Record<string, unknown> }[];
  /** Absent on the last page. */
  nextPageToken?: string;
}

export interface SearchRequest {
  jql: string;
  /** Field ids to return (default `['updated']`). */
  fields?: readonly string[];
  /** Page size (Jira caps it; default 100). */
  maxResults?: number;
  nextPageToken?: string;
}

/** How a download of an attachment's content ended. */
export type DownloadResult = { saved: true; bytes: number } | { saved: false; reason: string };

/** An issue with only some of its fields. */
export interface IssueFields {
  id: string;
  key: string;
  fields: Record<string, unknown>;
}

export interface JiraApi {
  /** `GET /issue/{key}?fields=*all&expand=renderedFields,changelog`; null when Jira answers 404 (deleted, or not visible). */
  getIssue(key: string, signal: AbortSignal): Promise<unknown | null>;
  /**
   * Every comment, paged from `startAt=0` until done, de-duplicated by id, oldest first. Stops
   * early on a page that brings nothing new, so compare the count with the issue's comment total.
   */
  getComments(key: string, signal: AbortSignal): Promise<unknown[]>;
  /** Every changelog history (`GET /issue/{key}/changelog`, paged), oldest first. */
  getChangelog(key: string, signal: AbortSignal): Promise<unknown[]>;
  /** `GET /issue/{key}/remotelink`: 404 → []; any other failure → undefined (keep the stored rows). */
  getRemoteLinks(key: string, signal: AbortSignal): Promise<unknown[] | undefined>;
  /** Only the given fields of an issue (`GET /issue/{key}?fields=…`); null on 404. For the SLA poll. */
  getIssueFields(keyOrId: string, fields: readonly string[], signal: AbortSignal): Promise<IssueFields | null>;
  search(request: SearchRequest, signal: AbortSignal): Promise<SearchPage>;
  /**
   * Downloads an attachment's `content` URL to `dest` atomically (a temp file renamed in place),
   * following Jira's redirect to its media host. Refused (not thrown) when the URL is not on the
   * configured site's host over HTTPS (plain HTTP only for a loopback site, as in tests) or the
   * body exceeds `maxBytes`, or when Jira no longer has the attachment (404); a partial file never
   * stays. Throws a JiraError when the site or its media host keeps failing (after the retries).
   */
  downloadAttachment(contentUrl: string, dest: string, maxBytes: number, signal: AbortSignal): Promise<DownloadResult>;
}
