import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin, tokens } from '@aida/core';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { bootstrap, call, userWithSession } from '../identity/helpers.js';
import { browserSession, getPage, postForm, submitForm } from './forms.js';

let builds = 0;
/** Two jobs of a plugin: one that works, one that fails with a message holding markup. */
const ops = definePlugin({
  id: 'ops',
  kind: 'service',
  config: z.object({}),
  deps: { jobs: tokens.jobs },
  init({ jobs }) {
    jobs.define(
      'build',
      async () => {
        builds++;
        await sleep(20);
      },
      { lockLifetime: '1m', concurrency: 1, schedule: '0 3 * * *' },
    );
    jobs.define(
      'send',
      async () => {
        throw new Error('the mail server said <554> & hung up');
      },
      { lockLifetime: '1m', concurrency: 1 },
    );
  },
});

type JobRow = {
  name: string;
  last_status: string | null;
  last_error: string | null;
  last_run_at: string | null;
  next_run_at: string | null;
  schedule: string | null;
};

let t: TestHost;
let admin: string;
let cookie: string;

beforeAll(async () => {
  t = await startTestHost({ plugins: [ops] });
  admin = await bootstrap(t);
  ({ cookie } = await browserSession(t));
});
afterAll(() => t?.stop());

async function jobsJson(): Promise<JobRow[]> {
  const res = await call(t, 'GET', '/api/admin/jobs', { token: admin });
  expect(res.status).toBe(200);
  return res.json.jobs as JobRow[];
}

/** Waits (through the JSON API) until `name` has a last run finished after `after`. */
async function finished(name: string, after: string | null): Promise<JobRow> {
  for (let i = 0; i < 300; i++) {
    const job = (await jobsJson()).find((j) => j.name === name)!;
    if (job.last_status && job.last_run_at !== after) return job;
    await sleep(50);
  }
  throw new Error(`${name} did not finish`);
}

/** The table row of one job on the jobs page. */
function rowOf(page: string, name: string): string {
  const row = new RegExp(`<tr data-job="${name}">[\\s\\S]*?</tr>`).exec(page)?.[0];
  if (!row) throw new Error(`no row for ${name} on the page`);
  return row;
}

/** The cells of a job's row that the tests read. */
function cellsOf(row: string): { schedule: string; last: string; next: string } {
  const cells = [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]!.trim());
  return { schedule: cells[1]!, last: cells[2]!, next: cells[3]! };
}

/** Presses "Run now" for `name` on the jobs page, as a browser would. */
async function runFromPage(name: string) {
  return submitForm(t, '/admin/jobs', '/admin/jobs/run', cookie, { name });
}

describe('/admin/jobs', () => {
  it('lists every job the API lists, with schedule, next run and a Run now button', async () => {
    const api = await jobsJson();
    expect(api.map((j) => j.name)).toEqual(expect.arrayContaining(['ops:build', 'ops:send', 'aida:sync']));
    const page = await getPage(t, '/admin/jobs', cookie);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    for (const j of api) {
      const row = rowOf(page.text, j.name);
      expect(row).toContain(`<code>${j.name}</code>`);
      expect(row).toContain(`<input type="hidden" name="name" value="${j.name}">`);
      expect(row).toContain(`href="/admin/jobs/runs?name=${encodeURIComponent(j.name)}"`);
    }
    const build = cellsOf(rowOf(page.text, 'ops:build'));
    expect(build.schedule).toBe('<code>0 3 * * *</code>');
    // The next run of a daily schedule is shown as a time (the one the API names), not "not scheduled".
    const next = api.find((j) => j.name === 'ops:build')!.next_run_at!;
    expect(build.next).toMatch(new RegExp(`^<time datetime="${next}" title="[^"]+ UTC">in `));
    const send = cellsOf(rowOf(page.text, 'ops:send'));
    expect(send.schedule).toContain('on demand');
    expect(send.next).toContain('not scheduled');
    expect(page.text).toContain('aria-current="page">Jobs<');
  });

  it('Run now queues the job (303 back with a notice), and once it finished the page shows its outcome', async () => {
    const before = (await jobsJson()).find((j) => j.name === 'ops:build')!;
    expect(before.last_status).toBeNull();
    expect(rowOf((await getPage(t, '/admin/jobs', cookie)).text, 'ops:build')).not.toContain('data-outcome');

    const res = await runFromPage('ops:build');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/jobs?notice=queued');
    const done = await finished('ops:build', before.last_run_at);
    expect(done.last_status).toBe('completed');
    expect(builds).toBe(1);

    const page = await getPage(t, '/admin/jobs?notice=queued', cookie);
    expect(page.text).toContain('Queued. The run starts within seconds');
    const row = rowOf(page.text, 'ops:build');
    expect(row).toContain('<span class="badge ok" data-outcome>completed</span>');
    expect(row).toMatch(/<time datetime="[^"]+" title="[^"]+">/);
  });

  it('runs aida:sync from the page and shows it completed', async () => {
    const before = (await jobsJson()).find((j) => j.name === 'aida:sync')!;
    expect((await runFromPage('aida:sync')).status).toBe(303);
    expect((await finished('aida:sync', before.last_run_at)).last_status).toBe('completed');
    expect(rowOf((await getPage(t, '/admin/jobs', cookie)).text, 'aida:sync')).toContain('badge ok" data-outcome>completed<');
  });

  it('a failed run shows the failed badge and its error, escaped', async () => {
    expect((await runFromPage('ops:send')).status).toBe(303);
    const done = await finished('ops:send', null);
    expect(done).toMatchObject({ last_status: 'failed', last_error: 'the mail server said <554> & hung up' });
    const row = rowOf((await getPage(t, '/admin/jobs', cookie)).text, 'ops:send');
    expect(row).toContain('<span class="badge bad" data-outcome>failed</span>');
    expect(row).toContain('the mail server said &lt;554&gt; &amp; hung up');
    expect(row).not.toContain('<554>');
  });

  it("a job's history page lists its runs as GET /api/admin/jobs/:name/runs does, and pages them", async () => {
    // Two more builds: three in all.
    for (let i = 0; i < 2; i++) {
      const last = (await jobsJson()).find((j) => j.name === 'ops:build')!.last_run_at;
      await runFromPage('ops:build');
      await finished('ops:build', last);
    }
    const api = await call(t, 'GET', '/api/admin/jobs/ops:build/runs', { token: admin });
    expect(api.json.total).toBe(3);

    const page = await getPage(t, '/admin/jobs/runs?name=ops%3Abuild&limit=2', cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Runs of <code>ops:build</code>');
    const rows = page.text.match(/<tr data-run="/g) ?? [];
    expect(rows).toHaveLength(2);
    expect(page.text).toContain(`data-run="${api.json.runs[0].job_id}"`);
    expect(page.text).toContain('<span class="badge ok">completed</span>');
    expect(page.text).toContain('1–2 of 3');
    expect(page.text).toContain('href="/admin/jobs/runs?name=ops%3Abuild&amp;offset=2&amp;limit=2"');

    const second = await getPage(t, '/admin/jobs/runs?name=ops%3Abuild&offset=2&limit=2', cookie);
    expect(second.text.match(/<tr data-run="/g)).toHaveLength(1);
    expect(second.text).toContain('3–3 of 3');

    const failed = await getPage(t, '/admin/jobs/runs?name=ops%3Asend', cookie);
    expect(failed.text).toContain('<span class="badge bad">failed</span>');
    expect(failed.text).toContain('the mail server said &lt;554&gt;');
  });

  it('an unknown job is a 404 page, for Run now and for its history', async () => {
    const run = await runFromPage('ops:nope');
    expect(run.status).toBe(404);
    expect(run.headers.get('content-type')).toMatch(/text\/html/);
    expect(await run.text()).toContain('No job &#39;ops:nope&#39;; /admin/jobs lists them');
    const history = await getPage(t, '/admin/jobs/runs?name=ops%3Anope', cookie);
    expect(history.status).toBe(404);
    expect(history.text).toContain('<h1>Page not found</h1>');
  });

  it('Run now without the CSRF token is refused and runs nothing', async () => {
    const before = (await call(t, 'GET', '/api/admin/jobs/ops:build/runs', { token: admin })).json.total;
    const res = await postForm(t, '/admin/jobs/run', cookie, { name: 'ops:build' });
    expect(res.status).toBe(403);
    await sleep(600);
    expect((await call(t, 'GET', '/api/admin/jobs/ops:build/runs', { token: admin })).json.total).toBe(before);
  });

  it('is for admins only: others get the HTML 403 page, and cannot run a job', async () => {
    const analyst = await userWithSession(t, admin, 'analyst@example.com', 'analyst');
    const page = await call(t, 'GET', '/admin/jobs', { token: analyst.token, headers: { accept: 'text/html' } });
    expect(page.status).toBe(403);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('<h1>Not allowed</h1>');
    expect((await call(t, 'GET', '/admin/jobs/runs?name=ops%3Abuild', { token: analyst.token, headers: { accept: 'text/html' } })).status).toBe(403);

    const session = await browserSession(t, { email: 'analyst@example.com', password: 'user-password-1' });
    const dashboard = await getPage(t, '/dashboard', session.cookie);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(dashboard.text)![1]!;
    const before = builds;
    const res = await postForm(t, '/admin/jobs/run', session.cookie, { _csrf: csrf, name: 'ops:build' });
    expect(res.status).toBe(403);
    await sleep(600);
    expect(builds).toBe(before);
  });
});
