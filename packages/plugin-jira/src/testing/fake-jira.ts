// FakeJira, a local stand-in for a Jira Cloud site for tests and benchmarks: a plain node:http
// server on 127.0.0.1 that records every request, applies injected failures, requires Basic auth
// (email + API token, https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/)
// on every REST call and answers the REST API v3 endpoints of fake-routes.ts from a store the
// test controls; it also builds and delivers signed webhooks (fake-webhooks.ts).
// Bad or missing credentials get Jira Cloud's 401: the text "Client must be authenticated to
// access this resource." (as reported from real sites), not a JSON body.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Failures, type Failure, type FailureSpec } from './fake-failures.js';
import { jiraError, readBody, sendJson, sendText } from './fake-http.js';
import type {
  FakeAttachmentSpec,
  FakeCommentSpec,
  FakeHistorySpec,
  FakeIssuePatch,
  FakeIssueSpec,
  FakeRemoteLinkSpec,
  FakeUser,
  RecordedRequest,
  StoredAttachment,
  StoredComment,
  StoredHistory,
  StoredIssue,
  StoredLink,
  StoredRemoteLink,
  TimeInput,
} from './fake-model.js';
import { route, routeMedia, type RouteEnv } from './fake-routes.js';
import { FakeSearch } from './fake-search.js';
import type { RenderContext } from './fake-shapes.js';
import { FakeJiraStore, NotFound, type SeedOptions } from './fake-store.js';
import { buildWebhook, deliver, type WebhookDelivery, type WebhookEvent, type WebhookOptions } from './fake-webhooks.js';

export interface FakeJiraOptions {
  email?: string;
  apiToken?: string;
  /** Projects that exist before any issue does (JQL on an unknown project is a 400). */
  projects?: { key: string; name?: string; id?: string }[];
  /** The API user's time zone, minutes east of UTC: datetimes are written and JQL dates read in it (default 0). */
  utcOffsetMinutes?: number;
  /** `customfield_NNNNN` → display name, for GET /field and `expand=names`. */
  customFieldNames?: Record<string, string>;
  /** Most issues a search page holds when fields are requested (default 100). */
  searchPageLimit?: number;
  /** The clock relative JQL dates (`-1d`) are measured from (default Date.now). */
  now?: () => number;
}

const UNAUTHENTICATED = 'Client must be authenticated to access this resource.';

export class FakeJira {
  readonly requests: RecordedRequest[] = [];
  readonly store: FakeJiraStore;
  readonly email: string;
  readonly apiToken: string;
  url = '';

  private readonly failures = new Failures();
  private readonly env: RouteEnv;
  private readonly server: Server;

  private constructor(private readonly options: FakeJiraOptions) {
    this.email = options.email ?? 'integration@example.com';
    this.apiToken = options.apiToken ?? `ATATT3x${randomBytes(18).toString('base64url')}`;
    this.store = new FakeJiraStore(options.projects);
    const me: FakeUser = { accountId: '712020:9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f', displayName: 'AIDA Integration', emailAddress: this.email };
    this.env = {
      store: this.store,
      search: new FakeSearch({ withFields: options.searchPageLimit ?? 100, idsOnly: 5000 }),
      render: (api) => this.renderContext(api),
      jql: () => ({ store: this.store, now: (options.now ?? Date.now)(), offsetMinutes: options.utcOffsetMinutes ?? 0 }),
      me,
      mediaToken: randomBytes(12).toString('hex'),
    };
    this.server = createServer((req, res) => void this.handle(req, res));
    // Node's default, as a real site keeps connections open: a client (undici) reuses a
    // connection only for the server's keep-alive hint minus one second, so a shorter hint meant
    // a new connection for every request. close() ends open connections itself.
    this.server.keepAliveTimeout = 5000;
  }

  static async start(options: FakeJiraOptions = {}): Promise<FakeJira> {
    const f = new FakeJira(options);
    await new Promise<void>((resolve) => f.server.listen(0, '127.0.0.1', resolve));
    f.url = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
    return f;
  }

  /** The Authorization header a correct client sends. */
  get authorization(): string {
    return `Basic ${Buffer.from(`${this.email}:${this.apiToken}`).toString('base64')}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  putIssue(spec: FakeIssueSpec): StoredIssue {
    return this.store.put(spec);
  }

  /** Edits fields as a user would, recording one changelog history (returned, for `jira:issue_updated`); none when nothing changed. */
  update(key: string, patch: FakeIssuePatch, by?: { author?: FakeUser; at?: TimeInput }): StoredHistory | undefined {
    return this.store.update(key, patch, by);
  }

  issue(key: string): StoredIssue | undefined {
    return this.store.get(key);
  }

  addComment(key: string, spec?: FakeCommentSpec): StoredComment {
    return this.store.addComment(key, spec);
  }

  updateComment(key: string, id: string, spec: FakeCommentSpec): StoredComment {
    return this.store.updateComment(key, id, spec);
  }

  deleteComment(key: string, id: string): StoredComment {
    return this.store.deleteComment(key, id);
  }

  addAttachment(key: string, spec: FakeAttachmentSpec): StoredAttachment {
    return this.store.addAttachment(key, spec);
  }

  deleteAttachment(key: string, id: string): StoredAttachment {
    return this.store.deleteAttachment(key, id);
  }

  addHistory(key: string, spec: FakeHistorySpec): StoredHistory {
    return this.store.addHistory(key, spec);
  }

  addRemoteLink(key: string, spec: FakeRemoteLinkSpec): StoredRemoteLink {
    return this.store.addRemoteLink(key, spec);
  }

  /** "source blocks destination" for `type` Blocks; default Relates. */
  link(sourceKey: string, destinationKey: string, type?: string): StoredLink {
    return this.store.link(sourceKey, destinationKey, type);
  }

  unlink(linkId: string): StoredLink {
    return this.store.unlink(linkId);
  }

  deleteIssue(key: string): StoredIssue {
    return this.store.delete(key);
  }

  setUpdated(key: string, at: TimeInput): void {
    this.store.setUpdated(key, at);
  }

  /** `n` generated issues (keys returned), cheap enough for a 10,000-issue backfill. */
  seed(n: number, options?: SeedOptions): string[] {
    return this.store.seed(n, options);
  }

  /** Makes the next matching request(s) fail; the returned handle counts its hits. */
  fail(spec: FailureSpec): Failure {
    return this.failures.add(spec);
  }

  clearFailures(): void {
    this.failures.clear();
  }

  /** The body and headers Jira Cloud would POST for `event` about issue `key`. */
  webhook(event: WebhookEvent, key: string, options: WebhookOptions = {}): WebhookDelivery {
    return buildWebhook(event, key, options, this.renderContext(2));
  }

  /** Builds the webhook and POSTs it to `targetUrl`; returns the receiver's answer. */
  deliver(
    targetUrl: string,
    event: WebhookEvent,
    key: string,
    options: WebhookOptions = {},
  ): Promise<{ status: number; body: string; headers: Record<string, string> }> {
    return deliver(targetUrl, this.webhook(event, key, options));
  }

  private renderContext(api: 2 | 3): RenderContext {
    return { base: this.url, api, offsetMinutes: this.options.utcOffsetMinutes ?? 0, store: this.store, customFieldNames: this.options.customFieldNames ?? {} };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query: Record<string, string> = {};
    for (const k of new Set(url.searchParams.keys())) query[k] = url.searchParams.getAll(k).join(',');
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      headers: { ...req.headers },
      body: await readBody(req),
      at: Date.now(),
    };
    this.requests.push(rec);
    res.on('finish', () => (rec.status = res.statusCode));
    try {
      if (await this.failures.apply(rec.method, rec.path, res)) return;
      if (routeMedia(rec, res, this.env)) return;
      if (!rec.path.startsWith('/rest/')) return sendJson(res, 404, jiraError([`(fake) no such resource: ${rec.path}`]));
      if (req.headers.authorization !== this.authorization) return sendText(res, 401, UNAUTHENTICATED, { 'x-seraph-loginreason': 'AUTHENTICATED_FAILED' });
      if (!route(rec, res, this.env)) sendJson(res, 404, jiraError([`(fake) no such resource: ${rec.method} ${rec.path}`]));
    } catch (e) {
      if (e instanceof NotFound) sendJson(res, 404, jiraError([e.message]));
      else sendJson(res, 500, jiraError([`(fake) ${(e as Error).message}`]));
    }
  }
}

/** Starts a fake Jira Cloud site on 127.0.0.1 (a free port). */
export function startFakeJira(options?: FakeJiraOptions): Promise<FakeJira> {
  return FakeJira.start(options);
}
