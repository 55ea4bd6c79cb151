// How the client meets a failing Jira: a 429 waits the Retry-After Jira asked for, 5xx and hung
// requests are retried with backoff, refusals (401, 403, 404, 400) and a removed endpoint (410)
// are not, and no message or log line ever carries the API token or the Authorization header.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JiraError } from '../../src/errors.js';
import { startFakeJira, type FakeJira } from '../../src/testing/index.js';
import { captureLogger, clientFor, signal } from './helpers.js';

let jira: FakeJira;
beforeEach(async () => {
  jira = await startFakeJira();
  jira.putIssue({ key: 'SUP-1', summary: 'Printer on fire' });
});
afterEach(async () => {
  await jira.close();
});

const failure = (p: Promise<unknown>): Promise<JiraError> =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as JiraError,
  );

describe('retries', () => {
  it('waits the Retry-After of a 429 before asking again', async () => {
    jira.fail({ path: '/issue/SUP-1', status: 429, retryAfter: 1 });
    const { logger, text } = captureLogger();
    const issue = (await clientFor(jira, logger).getIssue('SUP-1', signal())) as { key: string };
    expect(issue.key).toBe('SUP-1');
    const [limited, ok] = jira.requests;
    expect([limited.status, ok.status]).toEqual([429, 200]);
    expect(ok.at - limited.at).toBeGreaterThanOrEqual(990);
    expect(text()).toMatch(/answered 429.*retrying in 1\d{3} ms/);
  });

  it('fails at once when the Retry-After is longer than retries.max_retry_after', async () => {
    jira.fail({ path: '/issue/SUP-1', status: 429, retryAfter: 3600 });
    const started = Date.now();
    const e = await failure(clientFor(jira, captureLogger().logger).getIssue('SUP-1', signal()));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(e).toMatchObject({ code: 'JIRA_RATE_LIMITED', httpStatus: 429 });
    expect(e.message).toMatch(/Jira asks to retry after 3600 s, longer than retries.max_retry_after/);
    expect(jira.requests).toHaveLength(1);
  });

  it('retries 5xx answers with backoff until Jira recovers', async () => {
    const f = jira.fail({ path: '/issue/SUP-1', status: 503, times: 2 });
    const { logger, text } = captureLogger();
    expect(await clientFor(jira, logger).getIssue('SUP-1', signal())).toMatchObject({ key: 'SUP-1' });
    expect(f.hits).toBe(2);
    expect(jira.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(text().match(/retrying in/g)).toHaveLength(2);
  });

  it('gives up after retries.max_attempts, naming the request and its status', async () => {
    jira.fail({ path: '/issue/SUP-1', status: 502, times: 10 });
    const e = await failure(clientFor(jira, captureLogger().logger).getIssue('SUP-1', signal()));
    expect(e).toBeInstanceOf(JiraError);
    expect(e).toMatchObject({ code: 'JIRA_HTTP', status: 502, httpStatus: 502, method: 'GET', path: '/rest/api/3/issue/SUP-1' });
    expect(e.message).toBe('GET /rest/api/3/issue/SUP-1 answered 502: Injected failure: HTTP 502. (gave up after 3 attempts)');
    expect(jira.requests).toHaveLength(3);
  });

  it('times out a request that gets no answer and retries it', async () => {
    jira.fail({ path: '/issue/SUP-1', hang: true });
    const client = clientFor(jira, captureLogger().logger, { timeoutMs: 300 });
    expect(await client.getIssue('SUP-1', signal())).toMatchObject({ key: 'SUP-1' });
    expect(jira.requests).toHaveLength(2);

    jira.fail({ path: '/issue/SUP-1', hang: true, times: 5 });
    const e = await failure(client.getIssue('SUP-1', signal()));
    expect(e).toMatchObject({ code: 'JIRA_TRANSPORT' });
    expect(e.message).toBe('GET /rest/api/3/issue/SUP-1: no answer within 300 ms (gave up after 3 attempts)');
  });

  it('reports a refused connection as a transport failure after the retries', async () => {
    const url = jira.url;
    await jira.close();
    const e = await failure(clientFor(jira, captureLogger().logger, { siteUrl: url }).getIssue('SUP-1', signal()));
    expect(e).toMatchObject({ code: 'JIRA_TRANSPORT' });
    expect(e.message).toMatch(/^GET \/rest\/api\/3\/issue\/SUP-1: ECONNREFUSED \(gave up after 3 attempts\)$/);
    jira = await startFakeJira(); // for afterEach
  });

  it('stops retrying as soon as the caller aborts', async () => {
    jira.fail({ path: '/issue/SUP-1', status: 429, retryAfter: 4, times: 5 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('host stopping')), 100);
    const started = Date.now();
    await expect(clientFor(jira, captureLogger().logger).getIssue('SUP-1', controller.signal)).rejects.toThrow('host stopping');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(jira.requests).toHaveLength(1);
  });
});

describe('refusals', () => {
  it('does not retry a 401, says what to check, and never shows the token, in the error or the logs', async () => {
    const { logger, text } = captureLogger();
    const client = clientFor(jira, logger, { apiToken: `${jira.apiToken}-revoked` });
    const e = await failure(client.getIssue('SUP-1', signal()));
    expect(e).toMatchObject({ code: 'JIRA_UNAUTHORIZED', httpStatus: 401, detail: { method: 'GET', path: '/rest/api/3/issue/SUP-1', status: 401 } });
    expect(e.message).toBe(
      'GET /rest/api/3/issue/SUP-1 answered 401: Client must be authenticated to access this resource. (check the email and API token the config names in email_env and token_env)',
    );
    expect(jira.requests).toHaveLength(1);
    // A remote-links failure is logged, not thrown: the log must be as clean as the error.
    expect(await client.getRemoteLinks('SUP-1', signal())).toBeUndefined();
    const basic = Buffer.from(`${jira.email}:${jira.apiToken}-revoked`).toString('base64');
    const everything = `${e.message}\n${e.stack}\n${JSON.stringify(e)}\n${text()}`;
    for (const secret of [jira.apiToken, basic, `${jira.email}:`]) expect(everything).not.toContain(secret);
    expect(text()).toContain('answered 401');
  });

  it('masks the token where Jira echoes it back in an error body', async () => {
    jira.fail({
      path: '/issue/SUP-1',
      status: 400,
      body: { errorMessages: [`bad header Basic ${Buffer.from(`${jira.email}:${jira.apiToken}`).toString('base64')}`, `token ${jira.apiToken}`] },
    });
    const e = await failure(clientFor(jira, captureLogger().logger).getIssue('SUP-1', signal()));
    expect(e.message).not.toContain(jira.apiToken);
    expect(e.message).toMatch(/answered 400: bad header Basic \[redacted\]; token \[redacted\]$/);
  });

  it('does not retry 403 or a 404 from a listing, and names them', async () => {
    jira.fail({ path: '/issue/SUP-1', status: 403, body: { errorMessages: ['You do not have the permission to see the specified issue.'] } });
    const client = clientFor(jira, captureLogger().logger);
    expect(await failure(client.getIssue('SUP-1', signal()))).toMatchObject({ code: 'JIRA_FORBIDDEN', httpStatus: 403 });
    expect(await failure(client.getComments('SUP-404', signal()))).toMatchObject({ code: 'JIRA_HTTP', httpStatus: 404 });
    expect(jira.requests).toHaveLength(2);
  });

  it('reports a removed API (410) clearly instead of retrying it', async () => {
    jira.fail({ path: '/search/jql', status: 410, body: { errorMessages: ['The requested API has been removed.'] } });
    const e = await failure(clientFor(jira, captureLogger().logger).search({ jql: 'project = SUP' }, signal()));
    expect(e).toMatchObject({ code: 'JIRA_API_REMOVED', httpStatus: 410 });
    expect(e.message).toMatch(/answered 410: The requested API has been removed\. \(Atlassian removed this endpoint; upgrade @aida\/plugin-jira\)/);
    expect(jira.requests).toHaveLength(1);
  });

  it('refuses a body that is not JSON as malformed', async () => {
    jira.fail({ path: '/issue/SUP-1', status: 200, body: 'not an object' });
    expect(await failure(clientFor(jira, captureLogger().logger).getIssue('SUP-1', signal()))).toMatchObject({ code: 'JIRA_MALFORMED_RESPONSE' });
  });
});
