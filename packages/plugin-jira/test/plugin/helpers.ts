// A real host running the Jira plugin against the local fake Jira Cloud, and the few calls the
// end-to-end tests make: deliver a signed webhook, wait until the source is written and served,
// query the analytics database as an admin.
import { randomBytes } from 'node:crypto';
import { startTestHost, type TestHost } from '@aida/host/testing';
import type { AuthenticatedFetch } from '@aida/host/testing';
import plugin, { type JiraConnector } from '../../src/index.js';
import { startFakeJira, type FakeJira, type WebhookEvent, type WebhookOptions } from '../../src/testing/index.js';

export interface JiraHost {
  t: TestHost;
  fake: FakeJira;
  admin: AuthenticatedFetch;
  secret: string;
  webhookUrl: string;
  connector: JiraConnector;
  /** Signs and POSTs `event` about `key` as Jira would. */
  deliver(event: WebhookEvent, key: string, options?: WebhookOptions): Promise<{ status: number; body: string }>;
  /** Waits until everything received is written and the analytics database serves it. */
  settle(): Promise<void>;
  rows(sql: string): Promise<unknown[][]>;
  stop(): Promise<void>;
}

let envCounter = 0;

export async function startJiraHost(o: { config?: Record<string, unknown>; secret?: string | null; fake?: FakeJira } = {}): Promise<JiraHost> {
  const fake =
    o.fake ??
    (await startFakeJira({
      projects: [
        { key: 'SUP', name: 'Support' },
        { key: 'ENG', name: 'Engineering' },
      ],
    }));
  // Each host reads its own variables: tests in one process do not see each other's secrets.
  const n = `${process.pid}_${++envCounter}`;
  process.env[`JIRA_TEST_EMAIL_${n}`] = fake.email;
  process.env[`JIRA_TEST_TOKEN_${n}`] = fake.apiToken;
  const secret = o.secret === null ? '' : (o.secret ?? randomBytes(16).toString('hex'));
  process.env[`JIRA_TEST_SECRET_${n}`] = secret;
  const config = {
    url: fake.url,
    email_env: `JIRA_TEST_EMAIL_${n}`,
    token_env: `JIRA_TEST_TOKEN_${n}`,
    webhook_secret_env: `JIRA_TEST_SECRET_${n}`,
    jql: 'project in (SUP, ENG)',
    batch: { max_wait: '20ms' },
    retries: { max_attempts: 3, base_delay: '10ms', max_delay: '50ms', max_retry_after: '2s' },
    ...o.config,
  };
  const t = await startTestHost({ plugins: [{ plugin, config }], config: { analytics: { push_rebuild_delay: '20ms' } } });
  const admin = await t.asAdmin();
  const connector = t.host.connector('jira') as JiraConnector;
  const webhookUrl = `${t.url}/webhooks/jira`;
  const rows = async (sql: string) => {
    const r = await admin('/api/query', { method: 'POST', body: JSON.stringify({ sql }) });
    const json = (await r.json()) as { rows?: unknown[][]; message?: string };
    if (r.status !== 200) throw new Error(`query failed (${r.status}): ${json.message}`);
    return json.rows!;
  };
  return {
    t,
    fake,
    admin,
    secret,
    webhookUrl,
    connector,
    deliver: (event, key, options = {}) => fake.deliver(webhookUrl, event, key, { secret, ...options }),
    async settle() {
      await connector.idle();
      // Pushes rebuild after push_rebuild_delay; one more rebuild now makes what is written visible without guessing.
      await t.host.orchestrator.rebuild();
    },
    rows,
    async stop() {
      await t.stop();
      if (!o.fake) await fake.close();
    },
  };
}
