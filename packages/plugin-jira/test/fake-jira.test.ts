// The fake Jira Cloud behaves like the real one where the connector depends on it: Basic auth,
// truncated embedded lists and their paging endpoints, token-paged JQL search, the removed
// /search endpoint, injected 429s, attachment downloads and signed webhooks in Cloud's shapes.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adf, ISSUE_NOT_FOUND, JQL_UNBOUNDED_MESSAGE, SEARCH_GONE, slaField, startFakeJira, type FakeJira } from '../src/testing/index.js';

let jira: FakeJira;

beforeEach(async () => {
  jira = await startFakeJira({ projects: [{ key: 'OPS', name: 'Operations' }] });
});
afterEach(async () => {
  await jira.close();
});

async function get(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${jira.url}${path}`, { ...init, headers: { authorization: jira.authorization, accept: 'application/json', ...(init.headers ?? {}) } });
}

async function getJson(path: string): Promise<any> {
  const res = await get(path);
  expect(res.status, `${path}: ${res.status}`).toBe(200);
  return res.json();
}

async function searchJql(body: Record<string, unknown>): Promise<Response> {
  return get('/rest/api/3/search/jql', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

/** Parses Jira's `2024-05-01T10:00:00.000+0000` without the fake's own helpers. */
function parseJiraTime(s: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})([+-])(\d\d)(\d\d)$/.exec(s);
  if (!m) throw new Error(`not a Jira datetime: ${s}`);
  const [y, mo, d, h, mi, sec, ms] = m.slice(1, 8).map(Number);
  const offset = (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  return Date.UTC(y, mo - 1, d, h, mi, sec, ms) - offset * 60_000;
}

describe('authentication', () => {
  it('refuses REST calls without Basic credentials or with a wrong token, and accepts the right ones', async () => {
    jira.putIssue({ key: 'SUP-1', summary: 'Printer on fire' });
    const none = await fetch(`${jira.url}/rest/api/3/issue/SUP-1`);
    expect(none.status).toBe(401);
    expect(await none.text()).toContain('must be authenticated');
    const wrong = await fetch(`${jira.url}/rest/api/3/issue/SUP-1`, {
      headers: { authorization: `Basic ${Buffer.from(`${jira.email}:nope`).toString('base64')}` },
    });
    expect(wrong.status).toBe(401);
    const bearer = await fetch(`${jira.url}/rest/api/3/issue/SUP-1`, { headers: { authorization: `Bearer ${jira.apiToken}` } });
    expect(bearer.status).toBe(401);
    const ok = await get('/rest/api/3/issue/SUP-1');
    expect(ok.status).toBe(200);
    expect((await ok.json()).fields.summary).toBe('Printer on fire');
  });

  it('records every request with its headers, so a test can see where the token went', async () => {
    await get('/rest/api/3/myself?expand=groups');
    const r = jira.requests.at(-1)!;
    expect(r).toMatchObject({ method: 'GET', path: '/rest/api/3/myself', query: { expand: 'groups' }, status: 200 });
    expect(r.headers.authorization).toBe(`Basic ${Buffer.from(`${jira.email}:${jira.apiToken}`).toString('base64')}`);
    const elsewhere = JSON.stringify({ path: r.path, query: r.query, body: r.body });
    expect(elsewhere).not.toContain(jira.apiToken);
  });
});

describe('issues', () => {
  it('answers 404 with Jira error body for an unknown or deleted issue', async () => {
    jira.putIssue({ key: 'SUP-1' });
    jira.deleteIssue('SUP-1');
    for (const path of ['/rest/api/3/issue/SUP-1', '/rest/api/3/issue/SUP-404/remotelink', '/rest/api/3/issue/SUP-404/comment']) {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ errorMessages: [ISSUE_NOT_FOUND], errors: {} });
    }
  });

  it('returns the requested fields only, with ADF descriptions, Jira datetimes and custom fields as stored', async () => {
    const sla = slaField({ name: 'Time to resolution', goalMinutes: 240, startedAt: '2024-05-01T10:00:00Z', now: '2024-05-01T11:00:00Z' });
    jira.putIssue({
      key: 'SUP-7',
      summary: 'VPN down',
      description: 'Line one\nLine two',
      created: '2024-05-01T10:00:00Z',
      customFields: { customfield_10031: sla },
    });
    const all = await getJson('/rest/api/3/issue/SUP-7');
    expect(all.fields.description).toEqual(adf('Line one\nLine two'));
    expect(all.fields.created).toBe('2024-05-01T10:00:00.000+0000');
    expect(all.fields.status.statusCategory).toMatchObject({ key: 'new', name: 'To Do' });
    const some = await getJson('/rest/api/3/issue/SUP-7?fields=summary,customfield_10031&expand=renderedFields');
    expect(Object.keys(some.fields).sort()).toEqual(['customfield_10031', 'summary']);
    expect(some.fields.customfield_10031.ongoingCycle.remainingTime.millis).toBe(3 * 3600_000);
    const byId = await getJson(`/rest/api/3/issue/${all.id}?fields=description&expand=renderedFields`);
    expect(byId.key).toBe('SUP-7');
    expect(byId.renderedFields.description).toBe('<p>Line one</p><p>Line two</p>');
  });

  it('embeds the newest 100 of 250 comments, and the comment endpoint pages all 250 oldest first, 100 at most', async () => {
    const start = Date.parse('2024-05-01T00:00:00Z');
    jira.putIssue({
      key: 'SUP-1',
      comments: Array.from({ length: 250 }, (_, i) => ({ body: `comment ${i}`, created: start + i * 60_000, jsdPublic: i % 2 === 0 })),
    });
    const issue = await getJson('/rest/api/3/issue/SUP-1?fields=comment');
    const embedded = issue.fields.comment;
    expect(embedded).toMatchObject({ total: 250, startAt: 150, maxResults: 100 });
    expect(embedded.comments.map((c: any) => c.body.content[0].content[0].text)).toEqual(Array.from({ length: 100 }, (_, i) => `comment ${150 + i}`));

    const seen: any[] = [];
    let startAt = 0;
    for (;;) {
      const page = await getJson(`/rest/api/3/issue/SUP-1/comment?startAt=${startAt}&maxResults=1000`);
      expect(page.maxResults).toBeLessThanOrEqual(100);
      expect(page.total).toBe(250);
      seen.push(...page.comments);
      startAt += page.comments.length;
      if (page.comments.length === 0 || startAt >= page.total) break;
    }
    expect(seen).toHaveLength(250);
    expect(new Set(seen.map((c) => c.id)).size).toBe(250);
    const created = seen.map((c) => parseJiraTime(c.created));
    expect(created).toEqual([...created].sort((a, b) => a - b));
    expect(seen[0].jsdPublic).toBe(true);
    expect(seen[1].jsdPublic).toBe(false);
  });

  it('embeds the newest 100 changelog histories newest first, and pages all of them oldest first', async () => {
    jira.putIssue({ key: 'SUP-2' });
    for (let i = 0; i < 130; i++) jira.update('SUP-2', { summary: `title ${i}` }, { at: Date.parse('2024-05-01T00:00:00Z') + i * 1000 });
    expect(jira.update('SUP-2', { summary: 'title 129' })).toBeUndefined();
    const issue = await getJson('/rest/api/3/issue/SUP-2?fields=summary&expand=changelog');
    expect(issue.changelog.total).toBe(130);
    expect(issue.changelog.histories).toHaveLength(100);
    expect(issue.changelog.histories[0].items[0]).toMatchObject({ field: 'summary', fieldtype: 'jira', fromString: 'title 128', toString: 'title 129' });
    const first = await getJson('/rest/api/3/issue/SUP-2/changelog?startAt=0&maxResults=100');
    expect(first).toMatchObject({ startAt: 0, total: 130, isLast: false });
    expect(first.values).toHaveLength(100);
    expect(first.nextPage).toContain('startAt=100');
    const second = await getJson('/rest/api/3/issue/SUP-2/changelog?startAt=100&maxResults=100');
    expect(second).toMatchObject({ isLast: true, total: 130 });
    expect([...first.values, ...second.values].map((h: any) => h.items[0].toString)).toEqual(Array.from({ length: 130 }, (_, i) => `title ${i}`));
  });

  it('shows links from both ends and lists remote links as an array', async () => {
    jira.putIssue({ key: 'SUP-1', summary: 'Outage', links: [{ direction: 'outward', key: 'OPS-9', type: 'Blocks', summary: 'Fix the switch' }] });
    jira.putIssue({ key: 'SUP-2', summary: 'Follow-up' });
    jira.link('SUP-2', 'SUP-1', 'Relates');
    jira.addRemoteLink('SUP-1', { url: 'https://status.example.com/incidents/1', title: 'Incident 1' });
    const one = await getJson('/rest/api/3/issue/SUP-1?fields=issuelinks');
    expect(one.fields.issuelinks).toHaveLength(2);
    const blocks = one.fields.issuelinks.find((l: any) => l.type.name === 'Blocks');
    expect(blocks.outwardIssue).toMatchObject({ key: 'OPS-9', fields: { summary: 'Fix the switch' } });
    const relates = one.fields.issuelinks.find((l: any) => l.type.name === 'Relates');
    expect(relates.inwardIssue).toMatchObject({ key: 'SUP-2', fields: { summary: 'Follow-up' } });
    const remote = await getJson('/rest/api/3/issue/SUP-1/remotelink');
    expect(remote).toEqual([
      expect.objectContaining({ object: expect.objectContaining({ url: 'https://status.example.com/incidents/1', title: 'Incident 1' }) }),
    ]);
  });

  it('serves attachment bytes at the content URL, through the media redirect or directly', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252]);
    jira.putIssue({ key: 'SUP-3', attachments: [{ filename: 'dump.bin', content: bytes }] });
    const issue = await getJson('/rest/api/3/issue/SUP-3?fields=attachment');
    const att = issue.fields.attachment[0];
    expect(att).toMatchObject({ filename: 'dump.bin', size: bytes.length, mimeType: 'application/octet-stream' });
    const redirect = await fetch(att.content, { headers: { authorization: jira.authorization }, redirect: 'manual' });
    expect(redirect.status).toBe(303);
    const followed = await fetch(new URL(redirect.headers.get('location')!, jira.url));
    expect(Buffer.from(await followed.arrayBuffer())).toEqual(bytes);
    const direct = await get(`/rest/api/3/attachment/content/${att.id}?redirect=false`);
    expect(Buffer.from(await direct.arrayBuffer())).toEqual(bytes);
  });
});

describe('search', () => {
  it('pages with nextPageToken until isLast, the last page carrying no token', async () => {
    const keys = jira.seed(250, { commentsPerIssue: 1 });
    const got: string[] = [];
    const sizes: number[] = [];
    let token: string | undefined;
    for (let guard = 0; guard < 10; guard++) {
      const res = await searchJql({ jql: 'project = SUP ORDER BY key ASC', maxResults: 1000, fields: ['summary'], ...(token ? { nextPageToken: token } : {}) });
      expect(res.status).toBe(200);
      const page = await res.json();
      got.push(...page.issues.map((i: any) => i.key));
      sizes.push(page.issues.length);
      if (page.isLast) {
        expect(page).not.toHaveProperty('nextPageToken');
        break;
      }
      expect(typeof page.nextPageToken).toBe('string');
      token = page.nextPageToken;
    }
    expect(sizes).toEqual([100, 100, 50]);
    expect(got).toEqual(keys);
  });

  it('returns ids only when no fields are asked for, also over GET', async () => {
    const [key] = jira.seed(3);
    const res = await get(`/rest/api/3/search/jql?jql=${encodeURIComponent(`key = ${key}`)}`);
    const page = await res.json();
    expect(page.issues).toEqual([{ id: jira.issue(key)!.id }]);
    expect(page.isLast).toBe(true);
  });

  it('filters by created date in the user time zone, as a client-side filter of the same issues would', async () => {
    await jira.close();
    jira = await startFakeJira({ utcOffsetMinutes: 120 });
    jira.seed(48, { start: '2024-01-01T00:00:00Z', stepMinutes: 60 });
    const all = await (await searchJql({ jql: 'project = SUP', fields: ['created'], maxResults: 100 })).json();
    expect(all.issues[0].fields.created.endsWith('+0200')).toBe(true);
    const bound = Date.parse('2024-01-01T10:00:00+02:00');
    const expected = all.issues.filter((i: any) => parseJiraTime(i.fields.created) >= bound).map((i: any) => i.key);
    const res = await (
      await searchJql({ jql: 'project in (SUP) AND created >= "2024-01-01 10:00" ORDER BY created ASC', fields: ['created'], maxResults: 100 })
    ).json();
    expect(res.issues.map((i: any) => i.key)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(48);
  });

  it('filters by statusCategory and key lists', async () => {
    jira.seed(20, { doneEvery: 4 });
    const open = await (await searchJql({ jql: 'project = SUP AND statusCategory != Done', fields: ['status'], maxResults: 100 })).json();
    expect(open.issues).toHaveLength(15);
    expect(open.issues.every((i: any) => i.fields.status.statusCategory.key !== 'done')).toBe(true);
    const some = await (await searchJql({ jql: 'key in (SUP-3, SUP-1) ORDER BY key DESC', fields: ['summary'] })).json();
    expect(some.issues.map((i: any) => i.key)).toEqual(['SUP-3', 'SUP-1']);
  });

  it("rejects what Jira rejects with Jira's error body: unbounded, unknown project or key, unsupported JQL", async () => {
    jira.seed(2);
    const cases: [string, string | RegExp][] = [
      ['', JQL_UNBOUNDED_MESSAGE],
      ['ORDER BY created DESC', JQL_UNBOUNDED_MESSAGE],
      ['project = NOPE', "The value 'NOPE' does not exist for the field 'project'."],
      ['key in (SUP-1, SUP-99)', "An issue with key 'SUP-99' does not exist for field 'key'."],
      ['created >= "yesterday"', /Date value 'yesterday' for field 'created' is invalid/],
      ['assignee = currentUser()', /Error in the JQL Query/],
      ['project = SUP AND', /Error in the JQL Query/],
    ];
    for (const [jql, message] of cases) {
      const res = await searchJql({ jql });
      expect(res.status, jql).toBe(400);
      const body = await res.json();
      expect(body.errors).toEqual({});
      expect(body.errorMessages[0]).toMatch(message);
    }
  });

  it('answers the removed /rest/api/3/search with 410 Gone, as Atlassian does', async () => {
    for (const init of [{}, { method: 'POST', body: '{"jql":"project = SUP"}' }]) {
      const res = await get('/rest/api/3/search?jql=project%3DSUP', init);
      expect(res.status).toBe(410);
      expect(await res.json()).toEqual({ errorMessages: [SEARCH_GONE], errors: {} });
    }
  });

  it('seeds 10,000 issues with comments and serves them in id-only pages of 5000', async () => {
    jira.seed(10_000, { commentsPerIssue: 3 });
    const first = await (await searchJql({ jql: 'project = SUP', maxResults: 5000 })).json();
    const second = await (await searchJql({ jql: 'project = SUP', maxResults: 5000, nextPageToken: first.nextPageToken })).json();
    expect(first.issues.length + second.issues.length).toBe(10_000);
    expect(second.isLast).toBe(true);
    const last = await getJson('/rest/api/3/issue/SUP-10000?fields=comment');
    expect(last.fields.comment.total).toBe(3);
  });
});

describe('failure injection', () => {
  it('answers 429 with Retry-After the given number of times, then normally', async () => {
    jira.seed(1);
    const f = jira.fail({ path: '/search/jql', status: 429, retryAfter: 7, times: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await searchJql({ jql: 'project = SUP' });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect((await res.json()).errorMessages).toHaveLength(1);
    }
    expect((await searchJql({ jql: 'project = SUP' })).status).toBe(200);
    expect(f.hits).toBe(2);
  });

  it('only fails matching methods and paths, and can hang until the client gives up', async () => {
    jira.putIssue({ key: 'SUP-1' });
    jira.fail({ path: /\/comment$/, method: 'GET', status: 503 });
    expect((await get('/rest/api/3/issue/SUP-1')).status).toBe(200);
    expect((await get('/rest/api/3/issue/SUP-1/comment')).status).toBe(503);
    expect((await get('/rest/api/3/issue/SUP-1/comment')).status).toBe(200);
    jira.fail({ path: '/issue/SUP-1', hang: true });
    await expect(get('/rest/api/3/issue/SUP-1', { signal: AbortSignal.timeout(200) })).rejects.toThrow();
  });
});

describe('webhooks', () => {
  const secret = 'it-is-a-secret';
  const hmac = (body: string, key: string): string => createHmac('sha256', key).update(body, 'utf8').digest('hex');

  it('signs the raw body with HMAC-SHA256 as X-Hub-Signature: sha256=<hex>, or bare hex on request', () => {
    jira.putIssue({ key: 'SUP-1', comments: [{ body: 'hello' }] });
    const d = jira.webhook('comment_created', 'SUP-1', { secret });
    expect(d.headers['x-hub-signature']).toBe(`sha256=${hmac(d.body, secret)}`);
    const bare = jira.webhook('comment_created', 'SUP-1', { secret, header: 'X-Hub-Signature-256', prefix: false });
    expect(bare.headers['x-hub-signature-256']).toBe(hmac(bare.body, secret));
    expect(bare.headers['x-hub-signature']).toBeUndefined();
    expect(jira.webhook('comment_created', 'SUP-1').headers['x-hub-signature']).toBeUndefined();
  });

  it('delivers to a receiver that verifies the signature independently', async () => {
    jira.putIssue({ key: 'SUP-1', summary: 'Hello' });
    const received: { body: string; signature: string | undefined }[] = [];
    const receiver: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const signature = req.headers['x-hub-signature'] as string | undefined;
        received.push({ body, signature });
        const want = Buffer.from(`sha256=${hmac(body, secret)}`);
        const ok = signature !== undefined && signature.length === want.length && timingSafeEqual(Buffer.from(signature), want);
        res.writeHead(ok ? 204 : 401).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/jira`;
    try {
      expect((await jira.deliver(target, 'jira:issue_created', 'SUP-1', { secret })).status).toBe(204);
      expect((await jira.deliver(target, 'jira:issue_created', 'SUP-1', { secret: 'wrong' })).status).toBe(401);
      expect(JSON.parse(received[0].body)).toMatchObject({
        webhookEvent: 'jira:issue_created',
        issue_event_type_name: 'issue_created',
        issue: { key: 'SUP-1' },
      });
    } finally {
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });

  it("carries the change in jira:issue_updated and Cloud's shapes for comments, attachments and links", () => {
    jira.putIssue({ key: 'SUP-1', summary: 'Broken' });
    jira.putIssue({ key: 'SUP-2', summary: 'Cause' });
    jira.update('SUP-1', { status: { name: 'In Progress', category: 'indeterminate' } });
    const updated = JSON.parse(jira.webhook('jira:issue_updated', 'SUP-1').body);
    expect(updated.issue_event_type_name).toBe('issue_generic');
    expect(updated.changelog.items).toEqual([expect.objectContaining({ field: 'status', fromString: 'To Do', toString: 'In Progress' })]);
    expect(updated.issue.fields.status.statusCategory.key).toBe('indeterminate');
    expect(typeof updated.timestamp).toBe('number');

    const c = jira.addComment('SUP-1', { body: 'internal note', jsdPublic: false });
    jira.deleteComment('SUP-1', c.id);
    const deleted = JSON.parse(jira.webhook('comment_deleted', 'SUP-1', { flow: 'Secondary' }).body);
    expect(deleted.comment).toMatchObject({ id: c.id, body: 'internal note', jsdPublic: false });
    expect(deleted.issue).toMatchObject({ key: 'SUP-1', fields: { summary: 'Broken' } });

    jira.addAttachment('SUP-1', { filename: 'shot.png', mimeType: 'image/png', content: 'png' });
    const attached = JSON.parse(jira.webhook('attachment_created', 'SUP-1').body);
    expect(attached.attachment).toMatchObject({ filename: 'shot.png', size: 3 });
    expect(attached).not.toHaveProperty('issue');

    jira.link('SUP-2', 'SUP-1', 'Blocks');
    const link = JSON.parse(jira.webhook('issuelink_created', 'SUP-1').body).issueLink;
    expect(link).toMatchObject({
      sourceIssueId: Number(jira.issue('SUP-2')!.id),
      destinationIssueId: Number(jira.issue('SUP-1')!.id),
      issueLinkType: { name: 'Blocks' },
    });
    expect(JSON.stringify(link)).not.toContain('SUP-');

    jira.deleteIssue('SUP-2');
    const gone = JSON.parse(jira.webhook('jira:issue_deleted', 'SUP-2').body);
    expect(gone).toMatchObject({ webhookEvent: 'jira:issue_deleted', issue_event_type_name: 'issue_deleted', issue: { key: 'SUP-2' } });
    const unlinked = JSON.parse(jira.webhook('issuelink_deleted', 'SUP-1', { flow: 'Secondary' }).body).issueLink;
    expect(unlinked.id).toBe(link.id);
  });
});
