// `da sync` of a push source: the Jira plugin's month-partitioned tables reach the laptop like
// any partitioned table, and after a webhook changes one issue only that issue's months are
// fetched again.
import { randomBytes } from 'node:crypto';
import { startTestHost, type TestHost } from '@aida/host/testing';
import jira from '@aida/plugin-jira';
import { startFakeJira, type FakeJira } from '@aida/plugin-jira/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daWorkspace } from './helpers.js';

describe('da sync of the Jira tables', () => {
  let fake: FakeJira;
  let t: TestHost;
  const secret = randomBytes(12).toString('hex');
  beforeAll(async () => {
    fake = await startFakeJira({ projects: [{ key: 'SUP' }] });
    fake.seed(24, { project: 'SUP', commentsPerIssue: 2, start: '2026-01-03T09:00:00Z', stepMinutes: 60 * 24 * 7 });
    Object.assign(process.env, { DA_JIRA_EMAIL: fake.email, DA_JIRA_TOKEN: fake.apiToken, DA_JIRA_SECRET: secret });
    const config = { url: fake.url, email_env: 'DA_JIRA_EMAIL', token_env: 'DA_JIRA_TOKEN', webhook_secret_env: 'DA_JIRA_SECRET', jql: 'project = SUP' };
    t = await startTestHost({ plugins: [{ plugin: jira, config }], config: { analytics: { push_rebuild_delay: '20ms' } } });
    expect((await t.host.syncSource('jira')).error).toBeUndefined();
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  it('brings every month part down, queries them offline, and after a webhook fetches only the changed months', async () => {
    const analyst = await t.asUser('analyst');
    const ws = await daWorkspace();
    try {
      expect((await ws.run(['login', '--server', t.url, '--token', analyst.token])).code).toBe(0);
      const first = await ws.run(['sync', '--json']);
      expect(first.code, first.stderr + first.stdout).toBe(0);
      const r1 = first.json<{ fetched: { table: string; part?: string }[] }>();
      const issueParts = r1.fetched.filter((f) => f.table === 'issues');
      expect(issueParts.length).toBeGreaterThan(3); // 24 weekly issues span six months
      const q = await ws.run(['query', 'SELECT count(*) AS n, count(DISTINCT issue_key) AS k FROM issues', '--json']);
      expect(q.json<{ rows: unknown[][] }>().rows).toEqual([[24, 24]]);
      const c = await ws.run(['query', 'SELECT count(*) FROM comments', '--json']);
      expect(c.json<{ rows: unknown[][] }>().rows).toEqual([[48]]);

      // One issue changes at Jira and its webhook arrives.
      fake.update('SUP-3', { summary: 'Changed after the first sync' });
      const delivered = await fake.deliver(`${t.url}/webhooks/jira`, 'jira:issue_updated', 'SUP-3', { secret });
      expect(delivered.status).toBe(200);
      await (t.host.connector('jira') as unknown as { idle(): Promise<void> }).idle();
      await t.host.orchestrator.rebuild();

      const second = await ws.run(['sync', '--json']);
      expect(second.code, second.stderr).toBe(0);
      const r2 = second.json<{ fetched: { table: string }[] }>();
      // The issue's own month of the issues table, and of the child tables whose rows it rewrote (changelog gained a history).
      const issuesAgain = r2.fetched.filter((f) => f.table === 'issues');
      expect(issuesAgain).toHaveLength(1);
      expect(r2.fetched.length).toBeLessThan(r1.fetched.length / 2);
      const s = await ws.run(['query', "SELECT summary FROM issues WHERE issue_key = 'SUP-3'", '--json']);
      expect(s.json<{ rows: unknown[][] }>().rows).toEqual([['Changed after the first sync']]);
    } finally {
      await ws.cleanup();
    }
  });
});
