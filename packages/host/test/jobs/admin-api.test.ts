import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin, tokens } from '@aida/core';
import { startTestHost, type TestHost } from '@aida/host/testing';

let calls = 0;
const reports = definePlugin({
  id: 'reports',
  kind: 'service',
  config: z.object({}),
  deps: { jobs: tokens.jobs },
  init({ jobs }) {
    jobs.define(
      'build',
      async () => {
        calls++;
        await sleep(30);
      },
      { lockLifetime: '1m', concurrency: 1, schedule: '0 3 * * *' },
    );
    jobs.define(
      'send',
      async () => {
        throw new Error('the mail server said 554');
      },
      { lockLifetime: '1m', concurrency: 1 },
    );
  },
});

let t: TestHost;
beforeAll(async () => {
  t = await startTestHost({ plugins: [reports] });
});
afterAll(() => t?.stop());

type JobRow = {
  name: string;
  schedule: string | null;
  enabled: boolean;
  last_status: string | null;
  last_error: string | null;
  last_run_at: string | null;
  next_run_at: string | null;
  running: boolean;
};
type RunRow = { id: string; job_id: string; status: string; error: string | null; duration_ms: number; started_at: string; finished_at: string };

async function runsOf(admin: Awaited<ReturnType<TestHost['asAdmin']>>, name: string, until: (runs: RunRow[]) => boolean): Promise<RunRow[]> {
  for (let i = 0; i < 200; i++) {
    const r = await admin(`/api/admin/jobs/${encodeURIComponent(name)}/runs`);
    const body = (await r.json()) as { runs: RunRow[]; total: number };
    if (until(body.runs)) return body.runs;
    await sleep(50);
  }
  throw new Error(`no runs of ${name} showed up`);
}

describe('the jobs admin API', () => {
  it('lists every job with its schedule, and nothing has run yet', async () => {
    const admin = await t.asAdmin();
    const res = await admin('/api/admin/jobs');
    expect(res.status).toBe(200);
    const { jobs } = (await res.json()) as { jobs: JobRow[] };
    const build = jobs.find((j) => j.name === 'reports:build')!;
    expect(build).toMatchObject({ schedule: '0 3 * * *', enabled: true, last_status: null, last_run_at: null, running: false });
    expect(Date.parse(build.next_run_at!)).toBeGreaterThan(Date.now());
    expect(jobs.map((j) => j.name)).toEqual(expect.arrayContaining(['reports:build', 'reports:send', 'aida:sync']));
  });

  it('runs a job on demand (202 with the run id) and records its outcome, success and failure', async () => {
    const admin = await t.asAdmin();
    const queued = await admin('/api/admin/jobs/reports:build/run', { method: 'POST' });
    expect(queued.status).toBe(202);
    const { name, run_id } = (await queued.json()) as { name: string; run_id: string };
    expect(name).toBe('reports:build');
    const built = await runsOf(admin, 'reports:build', (runs) => runs.some((r) => r.job_id === run_id));
    expect(built[0]).toMatchObject({ job_id: run_id, status: 'completed', error: null });
    expect(built[0]!.duration_ms).toBeGreaterThanOrEqual(25);
    expect(calls).toBe(1);

    const failing = (await (await admin('/api/admin/jobs/reports:send/run', { method: 'POST' })).json()) as { run_id: string };
    const sent = await runsOf(admin, 'reports:send', (runs) => runs.some((r) => r.job_id === failing.run_id));
    expect(sent[0]).toMatchObject({ status: 'failed', error: 'the mail server said 554' });

    const { jobs } = (await (await admin('/api/admin/jobs')).json()) as { jobs: JobRow[] };
    expect(jobs.find((j) => j.name === 'reports:send')).toMatchObject({ last_status: 'failed', last_error: 'the mail server said 554' });
    expect(jobs.find((j) => j.name === 'reports:build')).toMatchObject({ last_status: 'completed' });
  });

  it('an unknown job is 404, bad paging is 400, and only admins may use it (audited)', async () => {
    const admin = await t.asAdmin();
    expect((await admin('/api/admin/jobs/reports:nope/run', { method: 'POST' })).status).toBe(404);
    expect((await admin('/api/admin/jobs/reports:nope/runs')).status).toBe(404);
    expect((await admin('/api/admin/jobs/reports:build/runs?limit=0')).status).toBe(400);
    const analyst = await t.asUser('analyst');
    expect((await analyst('/api/admin/jobs')).status).toBe(403);
    expect((await analyst('/api/admin/jobs/reports:build/run', { method: 'POST' })).status).toBe(403);
    for (let i = 0; i < 100; i++) {
      const audit = (await (await admin(`/api/admin/audit?action=${encodeURIComponent('POST /api/admin/jobs/:name/run')}`)).json()) as {
        items: { action: string; resource: string }[];
      };
      if (audit.items.some((a) => a.resource === '/api/admin/jobs/reports:nope/run')) return;
      await sleep(100);
    }
    throw new Error('the run request was not audited');
  });
});
