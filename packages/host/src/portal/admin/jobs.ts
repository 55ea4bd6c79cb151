import { z } from 'zod';
import { body, query, type RouteDefinition } from '@aida/core';
import { pageQuery } from '../../http/paging.js';
import { jobRunsPage, jobStatuses, queueJobRun } from '../../jobs/admin-routes.js';
import type { PortalContext } from '../context.js';
import { noticeFrom, redirectWithNotice } from '../notice.js';

// Job names hold `:` (`aida:sync`), so the name travels as a field, not in the path.
const jobName = z.string().trim().min(1).max(200);
const runForm = z.object({ name: jobName });
const runsQuery = z.object({ name: jobName }).extend(pageQuery({ defaultLimit: 20, maxLimit: 200 }).shape);

const NOTICES = { queued: 'Queued. The run starts within seconds; reload this page to see its outcome.' } as const;
const LISTED_AT = '/admin/jobs lists them';

/** `/admin/jobs`: every job with schedule, last and next run, run now; `/admin/jobs/runs`: one job's run history. */
export function adminJobPages(portal: PortalContext): RouteDefinition[] {
  return [
    {
      method: 'GET',
      path: '/admin/jobs',
      access: { role: 'admin' },
      summary: 'Admin page: every job with its schedule, last run and outcome, next run, and run now',
      output: { media: ['text/html'] },
      async handler(ctx) {
        // Before start or after stop there is no scheduler: the page says so instead of failing.
        const running = portal.jobs.jobs() !== undefined;
        await ctx.render('admin/jobs.njk', {
          title: 'Jobs',
          section: '/admin/jobs',
          schedulerRunning: running,
          jobs: running ? await jobStatuses(portal.jobs) : [],
          notice: noticeFrom(ctx, NOTICES),
        });
      },
    },
    {
      method: 'POST',
      path: '/admin/jobs/run',
      access: { role: 'admin' },
      summary: 'Admin form: queue one run of a job now (as POST /api/admin/jobs/{name}/run)',
      input: { body: runForm, bodyTypes: ['form'] },
      output: { status: 302, description: 'See other (303) to /admin/jobs?notice=queued', errors: { 404: 'No such job', 409: 'The job is disabled' } },
      async handler(ctx) {
        const { name } = body(ctx, runForm);
        await queueJobRun(portal.jobs, name, LISTED_AT);
        redirectWithNotice(ctx, '/admin/jobs', 'queued');
      },
    },
    {
      method: 'GET',
      path: '/admin/jobs/runs',
      access: { role: 'admin' },
      summary: "Admin page: one job's recent runs, newest first, with status, error and duration",
      input: { query: runsQuery },
      output: { media: ['text/html'], errors: { 404: 'No such job' } },
      async handler(ctx) {
        const q = query(ctx, runsQuery);
        const page = await jobRunsPage(portal.jobs, q.name, q, LISTED_AT);
        const job = (await jobStatuses(portal.jobs)).find((j) => j.name === q.name);
        await ctx.render('admin/job-runs.njk', {
          title: `Runs of ${q.name}`,
          section: '/admin/jobs',
          name: q.name,
          job,
          runs: page.runs,
          page,
          pagerQuery: new URLSearchParams({ name: q.name }).toString(),
        });
      },
    },
  ];
}
