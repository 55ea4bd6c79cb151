// The connector's jobs against the fake: jira:sync (the backfill: search/jql paging, resumable,
// then incremental), jira:sla-poll (refresh fields and healing issues Jira says are Done) and
// jira:consistency (missing and stale issues fixed up to max_fixes, the rest a warning).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slaField, startFakeJira, type FakeJira } from '../../src/testing/index.js';
import { startJiraHost, type JiraHost } from './helpers.js';

const SLA = 'customfield_10031';
const searches = (fake: FakeJira) => fake.requests.filter((r) => r.path === '/rest/api/3/search/jql');
const issueGets = (fake: FakeJira, key: string) => fake.requests.filter((r) => r.method === 'GET' && r.path === `/rest/api/3/issue/${key}`);

describe('jira:sync, the backfill', () => {
  let j: JiraHost;
  let fake: FakeJira;
  beforeAll(async () => {
    fake = await startFakeJira({ projects: [{ key: 'SUP' }, { key: 'ENG' }] });
    fake.seed(120, { project: 'SUP', commentsPerIssue: 2, doneEvery: 3, start: '2025-11-01T08:00:00Z', stepMinutes: 60 * 12 });
    fake.seed(30, { project: 'ENG', commentsPerIssue: 1, start: '2026-02-01T08:00:00Z', stepMinutes: 60 * 12 });
    j = await startJiraHost({ fake, config: { backfill: { page_size: 40 } } });
  });
  afterAll(async () => {
    await j?.stop();
    await fake?.close();
  });

  it('stops on a failing page and the next run resumes from the page it stopped at', async () => {
    // Fail every search once two pages have been read.
    const watcher = setInterval(() => {
      if (searches(fake).length >= 2 && !fake.requests.some((r) => r.status === 500)) fake.fail({ path: '/search/jql', status: 500, times: 100 });
    }, 2);
    const first = await j.t.host.syncSource('jira');
    clearInterval(watcher);
    expect(first.error).toMatch(/500/);
    const state = JSON.parse(readFileSync(join(j.t.dataDir, 'extracts', 'jira', 'backfill.json'), 'utf8')) as { running?: { nextPageToken?: string } };
    expect(state.running?.nextPageToken).toBeTruthy();
    await j.settle();
    const written = (await j.rows('SELECT count(*)::INT FROM issues'))[0]![0] as number;
    expect(written).toBeGreaterThanOrEqual(40);
    expect(written).toBeLessThan(150);

    fake.clearFailures();
    const before = fake.requests.length;
    const second = await j.t.host.syncSource('jira');
    expect(second.error).toBeUndefined();
    const resumedWith = JSON.parse(fake.requests.slice(before).find((r) => r.path === '/rest/api/3/search/jql')!.body) as { nextPageToken?: string };
    expect(resumedWith.nextPageToken).toBe(state.running!.nextPageToken);
    await j.settle();
    expect(await j.rows('SELECT count(*)::INT, count(DISTINCT issue_key)::INT FROM issues')).toEqual([[150, 150]]);
    expect(await j.rows(`SELECT count(*)::INT FROM comments WHERE issue_key LIKE 'ENG-%'`)).toEqual([[30]]);
    // Issues of the pages the first run wrote were not fetched again.
    expect(issueGets(fake, 'SUP-1')).toHaveLength(1);
    // Never the removed /rest/api/3/search.
    expect(fake.requests.filter((r) => r.path === '/rest/api/3/search')).toEqual([]);
  });

  it('a later run asks only for issues updated since the last pass, and refetches only what changed', async () => {
    fake.update('SUP-7', { summary: 'Changed while nobody listened' });
    const before = fake.requests.length;
    const r = await j.t.host.syncSource('jira');
    expect(r.error).toBeUndefined();
    const run = fake.requests.slice(before);
    const jql = (JSON.parse(run.find((x) => x.path === '/rest/api/3/search/jql')!.body) as { jql: string }).jql;
    expect(jql).toMatch(/updated >= -\d+m/);
    expect(run.filter((x) => x.method === 'GET' && /^\/rest\/api\/3\/issue\/[A-Z]+-\d+$/.test(x.path)).map((x) => x.path)).toEqual(['/rest/api/3/issue/SUP-7']);
    await j.settle();
    expect(await j.rows(`SELECT summary FROM issues WHERE issue_key = 'SUP-7'`)).toEqual([['Changed while nobody listened']]);
  });
});

describe('jira:sla-poll and jira:consistency', () => {
  let j: JiraHost;
  let fake: FakeJira;
  beforeAll(async () => {
    fake = await startFakeJira({ projects: [{ key: 'SUP' }] });
    const day = 24 * 60 * 60_000;
    for (let i = 1; i <= 6; i++) {
      fake.putIssue({
        key: `SUP-${i}`,
        summary: `Ticket ${i}`,
        created: Date.now() - (10 - i) * day,
        customFields: { [SLA]: slaField({ name: 'Time to first response', startedAt: Date.now() - (10 - i) * day, goalMinutes: 240 }) },
      });
    }
    j = await startJiraHost({ fake, config: { jql: 'project = SUP', refresh_fields: { sla_first_response: SLA }, consistency: { max_fixes: 3 } } });
    expect((await j.t.host.syncSource('jira')).error).toBeUndefined();
    await j.settle();
  });
  afterAll(async () => {
    await j?.stop();
    await fake?.close();
  });

  it('the SLA poll re-reads open issues, stores changed refresh fields, and heals one Jira now says is Done', async () => {
    // Changes no webhook announced: an SLA timer stopped, and an issue resolved while the webhook was down.
    fake.issue('SUP-2')!.customFields[SLA] = slaField({
      name: 'Time to first response',
      startedAt: Date.now() - 8 * 86_400_000,
      goalMinutes: 240,
      stoppedAt: Date.now() - 7 * 86_400_000,
    });
    Object.assign(fake.issue('SUP-3')!, { status: { id: '10001', name: 'Done', category: 'done' } });
    const before = (await j.rows(`SELECT sla_first_response FROM issues WHERE issue_key = 'SUP-2'`))[0]![0] as string;
    const run = await j.t.runJob('jira:sla-poll');
    expect(run.ok).toBe(true);
    await j.settle();
    const after = (await j.rows(`SELECT sla_first_response FROM issues WHERE issue_key = 'SUP-2'`))[0]![0] as string;
    expect(after).not.toBe(before);
    expect(JSON.parse(after)).toMatchObject({ name: 'Time to first response' });
    expect(await j.rows(`SELECT status_category FROM issues WHERE issue_key = 'SUP-3'`)).toEqual([['Done']]);
    const jobs = JSON.stringify(await (await j.admin('/api/admin/jobs?name=jira:sla-poll')).json());
    expect(jobs).toMatch(/"healed":1/);
    expect(jobs).toMatch(/"updated":1/);
  });

  it('the consistency check fixes up to max_fixes missing or stale issues and reports the rest as a warning', async () => {
    const day = 24 * 60 * 60_000;
    for (let i = 7; i <= 10; i++) fake.putIssue({ key: `SUP-${i}`, summary: `Missed ${i}`, created: Date.now() - 2 * day });
    fake.update('SUP-1', { summary: 'Edited, webhook lost' });
    const run = await j.t.runJob('jira:consistency');
    expect(run.ok).toBe(true);
    await j.settle();
    const stored = (await j.rows(`SELECT issue_key FROM issues WHERE issue_key IN ('SUP-7','SUP-8','SUP-9','SUP-10') ORDER BY issue_key`)).length;
    expect(stored).toBe(3);
    const history = JSON.stringify(await (await j.admin('/api/admin/sync-history?source=jira')).json());
    expect(history).toMatch(/4 issues missing and 1 out of date in the last 30 days; 3 fixed, 2 left/);
    // The next run fixes the rest.
    expect((await j.t.runJob('jira:consistency')).ok).toBe(true);
    await j.settle();
    expect(await j.rows(`SELECT count(*)::INT FROM issues`)).toEqual([[10]]);
    expect(await j.rows(`SELECT summary FROM issues WHERE issue_key = 'SUP-1'`)).toEqual([['Edited, webhook lost']]);
  });
});
