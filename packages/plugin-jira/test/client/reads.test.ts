// The client reads what the refetch needs from a fake Jira Cloud over real loopback HTTP: the
// issue with every field, every comment and changelog history however many pages they take,
// remote links (absent, not empty, when Jira fails), and token-paged JQL search.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeJira, type FakeJira } from '../../src/testing/index.js';
import { captureLogger, clientFor, signal } from './helpers.js';

let jira: FakeJira;
beforeEach(async () => {
  jira = await startFakeJira();
});
afterEach(async () => {
  await jira.close();
});

const textOf = (c: unknown): string => (c as { body: { content: { content: { text: string }[] }[] } }).body.content[0].content[0].text;

describe('issues', () => {
  it('fetches an issue with every field, rendered fields and the changelog, with Basic auth, JSON and a user agent', async () => {
    jira.putIssue({ key: 'SUP-1', summary: 'Printer on fire', customFields: { customfield_10031: { goal: 4 } } });
    const client = clientFor(jira, captureLogger().logger);
    const issue = (await client.getIssue('SUP-1', signal())) as { key: string; fields: Record<string, unknown>; renderedFields: unknown; changelog: unknown };
    expect(issue.key).toBe('SUP-1');
    expect(issue.fields.summary).toBe('Printer on fire');
    expect(issue.fields.customfield_10031).toEqual({ goal: 4 });
    expect(issue.renderedFields).toBeDefined();
    expect(issue.changelog).toBeDefined();
    const [req] = jira.requests;
    expect(req).toMatchObject({ method: 'GET', path: '/rest/api/3/issue/SUP-1', query: { fields: '*all', expand: 'renderedFields,changelog' }, status: 200 });
    expect(req.headers.authorization).toBe(jira.authorization);
    expect(req.headers.accept).toBe('application/json');
    expect(req.headers['user-agent']).toMatch(/^aida-plugin-jira\//);
  });

  it('answers null for an issue Jira does not have (404), without retrying', async () => {
    const client = clientFor(jira, captureLogger().logger);
    expect(await client.getIssue('SUP-404', signal())).toBeNull();
    expect(await client.getIssueFields('SUP-404', ['status'], signal())).toBeNull();
    expect(jira.requests).toHaveLength(2);
  });

  it('fetches only the asked fields for the SLA poll', async () => {
    jira.putIssue({ key: 'SUP-2', summary: 'VPN', customFields: { customfield_10031: { ongoing: true } } });
    const issue = await clientFor(jira, captureLogger().logger).getIssueFields('SUP-2', ['customfield_10031', 'status'], signal());
    expect(issue!.key).toBe('SUP-2');
    expect(Object.keys(issue!.fields).sort()).toEqual(['customfield_10031', 'status']);
    expect(jira.requests[0].query.fields).toBe('customfield_10031,status');
  });
});

describe('comments and changelog', () => {
  it('pages all 250 comments of an issue (Jira embeds only the newest 100), oldest first, each once', async () => {
    const start = Date.parse('2024-05-01T00:00:00Z');
    jira.putIssue({ key: 'SUP-1', comments: Array.from({ length: 250 }, (_, i) => ({ body: `comment ${i}`, created: start + i * 60_000 })) });
    const comments = await clientFor(jira, captureLogger().logger).getComments('SUP-1', signal());
    expect(comments.map(textOf)).toEqual(Array.from({ length: 250 }, (_, i) => `comment ${i}`));
    const pages = jira.requests.filter((r) => r.path === '/rest/api/3/issue/SUP-1/comment');
    expect(pages.map((r) => r.query.startAt)).toEqual(['0', '100', '200']);
    expect(pages.every((r) => r.query.maxResults === '100' && r.query.orderBy === 'created')).toBe(true);
  });

  it('asks once for an issue without comments', async () => {
    jira.putIssue({ key: 'SUP-3' });
    expect(await clientFor(jira, captureLogger().logger).getComments('SUP-3', signal())).toEqual([]);
    expect(jira.requests).toHaveLength(1);
  });

  it('stops paging a server that ignores startAt instead of asking forever, keeping each comment once', async () => {
    jira.putIssue({ key: 'SUP-1', comments: [{ body: 'a' }, { body: 'b' }] });
    const page = {
      startAt: 0,
      maxResults: 2,
      total: 500,
      comments: [
        { id: '1', body: 'a' },
        { id: '2', body: 'b' },
      ],
    };
    jira.fail({ path: /\/comment$/, status: 200, body: page, times: 50 });
    const comments = await clientFor(jira, captureLogger().logger).getComments('SUP-1', signal());
    expect(comments).toEqual(page.comments);
    expect(jira.requests.length).toBe(2);
  });

  it('pages the changelog until isLast, oldest first', async () => {
    jira.putIssue({ key: 'SUP-2' });
    for (let i = 0; i < 130; i++) jira.update('SUP-2', { summary: `title ${i}` }, { at: Date.parse('2024-05-01T00:00:00Z') + i * 1000 });
    const histories = (await clientFor(jira, captureLogger().logger).getChangelog('SUP-2', signal())) as { items: { toString: string }[] }[];
    expect(histories.map((h) => h.items[0].toString)).toEqual(Array.from({ length: 130 }, (_, i) => `title ${i}`));
    expect(jira.requests.map((r) => r.query.startAt)).toEqual(['0', '100']);
  });
});

describe('remote links', () => {
  it('lists them, answers [] for a 404, and undefined with a warning when Jira keeps failing', async () => {
    jira.putIssue({ key: 'SUP-1' });
    jira.addRemoteLink('SUP-1', { url: 'https://status.example.com/incidents/1', title: 'Incident 1' });
    const { logger, text } = captureLogger();
    const client = clientFor(jira, logger);
    expect(await client.getRemoteLinks('SUP-1', signal())).toEqual([expect.objectContaining({ object: expect.objectContaining({ title: 'Incident 1' }) })]);
    expect(await client.getRemoteLinks('SUP-404', signal())).toEqual([]);

    const f = jira.fail({ path: '/remotelink', status: 500, times: 10 });
    jira.requests.length = 0;
    expect(await client.getRemoteLinks('SUP-1', signal())).toBeUndefined();
    expect(f.hits).toBe(3); // retries.max_attempts
    expect(text()).toMatch(/remote links of SUP-1 not fetched; the stored ones are kept: GET \/rest\/api\/3\/issue\/SUP-1\/remotelink answered 500/);
    expect(text()).toContain('gave up after 3 attempts');
  });
});

describe('search', () => {
  it('pages POST /search/jql with nextPageToken until the last page, which has none', async () => {
    const keys = jira.seed(250);
    const client = clientFor(jira, captureLogger().logger);
    const got: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await client.search({ jql: 'project = SUP ORDER BY key ASC', nextPageToken: token }, signal());
      got.push(...page.issues.map((i) => i.key));
      expect(page.issues.every((i) => typeof i.id === 'string' && typeof i.fields.updated === 'string')).toBe(true);
      token = page.nextPageToken;
      pages++;
    } while (token && pages < 10);
    expect(got).toEqual(keys);
    expect(pages).toBe(3);
    const bodies = jira.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(jira.requests.every((r) => r.method === 'POST' && r.path === '/rest/api/3/search/jql')).toBe(true);
    expect(bodies[0]).toEqual({ jql: 'project = SUP ORDER BY key ASC', fields: ['updated'], maxResults: 100 });
    expect(typeof bodies[1].nextPageToken).toBe('string');
  });

  it('turns a JQL error into a JiraHttpError quoting Jira, not retried', async () => {
    const client = clientFor(jira, captureLogger().logger);
    const e = await client.search({ jql: 'project = NOPE' }, signal()).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'JIRA_HTTP', httpStatus: 400, method: 'POST', path: '/rest/api/3/search/jql' });
    expect((e as Error).message).toBe("POST /rest/api/3/search/jql answered 400: The value 'NOPE' does not exist for the field 'project'.");
    expect(jira.requests).toHaveLength(1);
  });
});
