// What webhooks do to the tables, end to end: a real host with the plugin, the fake Jira Cloud
// sending signed deliveries in Cloud's shapes, and every answer read back through POST /api/query.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJiraHost, type JiraHost } from './helpers.js';

describe('webhooks keep the Jira tables current', () => {
  let j: JiraHost;
  beforeAll(async () => {
    j = await startJiraHost();
  });
  afterAll(() => j?.stop());

  const count = async (table: string, key: string) => (await j.rows(`SELECT count(*)::INT FROM ${table} WHERE issue_key = '${key}'`))[0]![0];

  it('an issue_created writes the issue and everything attached to it', async () => {
    j.fake.putIssue({
      key: 'SUP-1',
      summary: 'VPN drops every hour',
      created: '2026-03-04T10:00:00Z',
      comments: [{ body: 'Seen on Mac and Windows' }, { body: 'Logs: https://logs.example.com/x?token=abc123&q=1' }],
      remoteLinks: [{ url: 'https://wiki.example.com/vpn', title: 'VPN runbook' }],
      attachments: [{ filename: 'trace.txt', content: 'packet trace' }],
    });
    expect((await j.deliver('jira:issue_created', 'SUP-1')).status).toBe(200);
    await j.settle();
    expect(await j.rows(`SELECT issue_key, summary, strftime(created_at AT TIME ZONE 'UTC', '%Y-%m') FROM issues WHERE issue_key = 'SUP-1'`)).toEqual([
      ['SUP-1', 'VPN drops every hour', '2026-03'],
    ]);
    expect(await j.rows(`SELECT body FROM comments WHERE issue_key = 'SUP-1' ORDER BY created_at`)).toEqual([
      ['Seen on Mac and Windows'],
      ['Logs: https://logs.example.com/x?token=REDACTED&q=1'],
    ]);
    expect(await count('remote_links', 'SUP-1')).toBe(1);
    const [[localPath]] = (await j.rows(`SELECT local_path FROM attachments WHERE issue_key = 'SUP-1'`)) as [[string]];
    expect(readFileSync(join(j.t.dataDir, 'extracts', 'jira', localPath), 'utf8')).toBe('packet trace');
  });

  it('the same delivery five times leaves one row set', async () => {
    j.fake.addComment('SUP-1', { body: 'Third comment' });
    const delivery = j.fake.webhook('comment_created', 'SUP-1', { secret: j.secret });
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => fetch(j.webhookUrl, { method: 'POST', headers: delivery.headers, body: delivery.body }).then((r) => r.status)),
    );
    expect(answers).toEqual([200, 200, 200, 200, 200]);
    await j.settle();
    expect(await count('issues', 'SUP-1')).toBe(1);
    expect(await count('comments', 'SUP-1')).toBe(3);
    expect(await j.rows(`SELECT count(*)::INT, count(DISTINCT comment_id)::INT FROM comments`)).toEqual([[3, 3]]);
  });

  it('a comment_deleted removes the comment and keeps the issue', async () => {
    const [first] = j.fake.issue('SUP-1')!.comments;
    j.fake.deleteComment('SUP-1', first!.id);
    await j.deliver('comment_deleted', 'SUP-1', { commentId: first!.id });
    await j.settle();
    expect(await count('issues', 'SUP-1')).toBe(1);
    expect(await count('comments', 'SUP-1')).toBe(2);
    expect(await j.rows(`SELECT count(*)::INT FROM comments WHERE comment_id = '${first!.id}'`)).toEqual([[0]]);
  });

  it('an update whose refetched version is older than the stored one changes nothing', async () => {
    j.fake.update('SUP-1', { summary: 'VPN drops every hour (confirmed)' });
    await j.deliver('jira:issue_updated', 'SUP-1');
    await j.settle();
    const [[stored]] = (await j.rows(`SELECT updated_at::VARCHAR FROM issues WHERE issue_key = 'SUP-1'`)) as [[string]];
    // Jira answers an older version now (a lagging replica): it must not overwrite the newer row.
    j.fake.update('SUP-1', { summary: 'stale summary' });
    j.fake.setUpdated('SUP-1', Date.parse(stored) - 60_000);
    await j.deliver('jira:issue_updated', 'SUP-1');
    await j.settle();
    expect(await j.rows(`SELECT summary, updated_at::VARCHAR FROM issues WHERE issue_key = 'SUP-1'`)).toEqual([['VPN drops every hour (confirmed)', stored]]);
  });

  it('a failed remote-links fetch keeps the stored links', async () => {
    j.fake.update('SUP-1', { summary: 'VPN drops every hour (fix deployed)' });
    j.fake.fail({ path: /\/remotelink$/, status: 500, times: 50 });
    await j.deliver('jira:issue_updated', 'SUP-1');
    await j.settle();
    j.fake.clearFailures();
    expect(await j.rows(`SELECT summary FROM issues WHERE issue_key = 'SUP-1'`)).toEqual([['VPN drops every hour (fix deployed)']]);
    expect(await j.rows(`SELECT title FROM remote_links WHERE issue_key = 'SUP-1'`)).toEqual([['VPN runbook']]);
  });

  it('an issue with more than 100 comments keeps every one, oldest included', async () => {
    j.fake.putIssue({
      key: 'SUP-2',
      summary: 'Long thread',
      created: '2026-04-10T08:00:00Z',
      comments: Array.from({ length: 250 }, (_, i) => ({ body: `comment ${i + 1}` })),
    });
    await j.deliver('jira:issue_created', 'SUP-2');
    await j.settle();
    expect(await j.rows(`SELECT count(*)::INT, count(DISTINCT comment_id)::INT FROM comments WHERE issue_key = 'SUP-2'`)).toEqual([[250, 250]]);
    expect(await j.rows(`SELECT count(*)::INT FROM comments WHERE issue_key = 'SUP-2' AND body = 'comment 1'`)).toEqual([[1]]);
  });

  it('an issue link refetches both ends, found by their numeric ids', async () => {
    const link = j.fake.link('SUP-1', 'SUP-2', 'Blocks');
    expect((await j.deliver('issuelink_created', 'SUP-1', { linkId: link.id })).status).toBe(200);
    await j.settle();
    expect(await j.rows(`SELECT issue_key, linked_issue_key FROM issuelinks ORDER BY issue_key`)).toEqual([
      ['SUP-1', 'SUP-2'],
      ['SUP-2', 'SUP-1'],
    ]);
  });

  it('an issue whose created month changes leaves its old month in every table', async () => {
    j.fake.putIssue({ key: 'SUP-2', created: '2026-01-15T08:00:00Z' });
    j.fake.update('SUP-2', { summary: 'Long thread (moved)' });
    await j.deliver('jira:issue_updated', 'SUP-2');
    await j.settle();
    expect(await j.rows(`SELECT strftime(created_at AT TIME ZONE 'UTC', '%Y-%m') FROM issues WHERE issue_key = 'SUP-2'`)).toEqual([['2026-01']]);
    expect(await count('comments', 'SUP-2')).toBe(250);
    const manifest = (await (await j.admin('/api/sync/manifest')).json()) as {
      tables: Record<string, { parts?: { part?: string; path?: string }[] }> | { id: string; parts?: unknown[] }[];
    };
    expect(JSON.stringify(manifest)).not.toContain('2026-04');
  });

  it('an issue_deleted removes the issue from every month of every table, and a later event does not bring it back', async () => {
    j.fake.deleteIssue('SUP-2');
    await j.deliver('jira:issue_deleted', 'SUP-2');
    await j.settle();
    for (const table of ['issues', 'comments', 'issuelinks']) expect(await count(table, 'SUP-2')).toBe(0);
    expect(await count('issues', 'SUP-1')).toBe(1);
    // A delayed comment event for the deleted issue: the refetch finds nothing (404), nothing is written.
    await j.deliver('comment_created', 'SUP-2', {});
    await j.settle();
    expect(await count('issues', 'SUP-2')).toBe(0);
  });

  it('the tables are in the catalog as source type jira, and their manifest entries list month parts', async () => {
    const catalog = (await (await j.admin('/api/catalog/tables')).json()) as { tables: { name: string; source_type: string }[] };
    const jira = catalog.tables.filter((t) => t.source_type === 'jira').map((t) => t.name);
    expect(jira.sort()).toEqual(['attachments', 'changelog', 'comments', 'issuelinks', 'issues', 'remote_links']);
    const manifest = JSON.stringify(await (await j.admin('/api/sync/manifest')).json());
    expect(manifest).toMatch(/2026-03/);
    expect(existsSync(join(j.t.dataDir, 'extracts', 'jira', 'extract.duckdb'))).toBe(true);
  });
});
