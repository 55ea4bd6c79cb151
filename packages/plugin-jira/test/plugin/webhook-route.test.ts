// POST /webhooks/jira's answers, in the upstream's order: 503 without a secret, 401 for a bad or
// missing signature (before the body is read as JSON), 400 for a body that names no issue,
// 413 over the size limit, 200 once queued.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../src/testing/index.js';
import { startJiraHost, type JiraHost } from './helpers.js';

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then(async (r) => ({
    status: r.status,
    json: (await r.json()) as Record<string, unknown>,
  }));

describe('POST /webhooks/jira', () => {
  let j: JiraHost;
  beforeAll(async () => {
    j = await startJiraHost({ config: { webhook: { max_body: '16KB' } } });
    j.fake.putIssue({ key: 'SUP-1', summary: 'Printer on fire' });
  });
  afterAll(() => j?.stop());

  const signed = (body: string, header = 'X-Hub-Signature') => ({ [header]: `sha256=${sign(body, j.secret)}` });

  it('answers 200 with the event and issue for a signed delivery in Jira’s shape', async () => {
    const r = await j.deliver('jira:issue_updated', 'SUP-1');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ status: 'ok', event: 'jira:issue_updated', issue: 'SUP-1' });
  });

  it('takes X-Hub-Signature-256 too, with or without the sha256= prefix', async () => {
    const body = JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { key: 'SUP-1' } });
    expect((await post(j.webhookUrl, body, signed(body, 'X-Hub-Signature-256'))).status).toBe(200);
    expect((await post(j.webhookUrl, body, { 'X-Hub-Signature': sign(body, j.secret) })).status).toBe(200);
  });

  it('401 for a missing, wrong or other-secret signature, even when the body is empty or not JSON', async () => {
    const body = JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { key: 'SUP-1' } });
    for (const headers of [{}, { 'X-Hub-Signature': 'sha256=deadbeef' }, { 'X-Hub-Signature': `sha256=${sign(body, 'not-the-secret')}` }]) {
      const r = await post(j.webhookUrl, body, headers);
      expect(r.status).toBe(401);
      expect(r.json.message).toMatch(/Invalid signature/);
    }
    expect((await post(j.webhookUrl, '')).status).toBe(401);
    expect((await post(j.webhookUrl, '{not json')).status).toBe(401);
    // Signed for other bytes: the signature covers the raw body, not its JSON meaning.
    expect((await post(j.webhookUrl, `${body} `, signed(body))).status).toBe(401);
  });

  it.each([
    ['an empty body', '', /Empty payload/],
    ['invalid JSON', '{"webhookEvent": ', /Invalid JSON/],
    ['an empty object', '{}', /non-empty JSON object/],
    ['no issue key', JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: {} }), /issue key/],
    ['a malformed issue key', JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { key: 'SUP-1/../../x' } }), /issue key/],
  ])('400 for %s once the signature is right', async (_, body, message) => {
    const r = await post(j.webhookUrl, body, signed(body));
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(message);
  });

  it('413 for a body over webhook.max_body, signed or not', async () => {
    const body = JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { key: 'SUP-1', fields: { summary: 'x'.repeat(20_000) } } });
    expect((await post(j.webhookUrl, body, signed(body))).status).toBe(413);
  });

  it('needs no session: the route is public and the signature is its authentication', async () => {
    const body = JSON.stringify({ webhookEvent: 'comment_created', issue: { key: 'SUP-1' } });
    const r = await post(j.webhookUrl, body, { ...signed(body), authorization: 'Bearer nonsense' });
    expect(r.status).toBe(200);
  });
});

describe('POST /webhooks/jira without a configured secret', () => {
  let j: JiraHost;
  beforeAll(async () => {
    j = await startJiraHost({ secret: null });
  });
  afterAll(() => j?.stop());

  it('answers 503 to everything, signed or not: never accepts unsigned deliveries', async () => {
    const body = JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { key: 'SUP-1' } });
    for (const headers of [{}, { 'X-Hub-Signature': `sha256=${sign(body, '')}` }]) {
      const r = await post(j.webhookUrl, body, headers);
      expect(r.status).toBe(503);
      expect(r.json.message).toMatch(/secret not configured/);
    }
    expect((await post(j.webhookUrl, '')).status).toBe(503);
  });

  it('says so in /api/health', async () => {
    const health = (await (await j.admin('/api/health')).json()) as { status: string; checks?: Record<string, { status: string; detail?: string }> };
    expect(JSON.stringify(health)).toMatch(/no webhook secret/);
  });
});
