import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { JobContext } from '@aida/core';
import { DuckDbSystemDb, type SystemDb } from '../../src/state/system-db.js';
import { migrate, migrations } from '../../src/state/migrations/index.js';
import { DuckDbJobRepository } from '../../src/jobs/duckdb-job-repository.js';
import { jobsConfigSchema, type JobsConfigInput } from '../../src/jobs/config.js';
import { JobScheduler } from '../../src/jobs/scheduler.js';

const logger = pino({ level: process.env.AIDA_TEST_LOG ?? 'silent' });
const opts = { lockLifetime: '1m', concurrency: 1 } as const;

/** Polls until `check` holds; generous deadline because CI machines are slow and busy. */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('JobScheduler on the embedded DuckDB backend', () => {
  let dir: string;
  let dbPath: string;
  let db: SystemDb;
  const schedulers: JobScheduler[] = [];

  async function scheduler(config: JobsConfigInput = {}): Promise<JobScheduler> {
    const s = await JobScheduler.create({
      config: jobsConfigSchema.parse({ process_every: '100ms', stop_timeout: '5s', ...config }),
      systemDb: db,
      logger,
      instanceName: 'test',
    });
    schedulers.push(s);
    return s;
  }
  const repo = () => new DuckDbJobRepository(db);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aida-jobs-sched-'));
    dbPath = join(dir, 'state', 'system.duckdb');
    db = await DuckDbSystemDb.open(dbPath);
    await migrate(db, migrations);
  });

  afterEach(async () => {
    for (const s of schedulers.splice(0)) await s.stop();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a recurring job repeatedly and hands the handler its name, data and a live signal', async () => {
    const seen: JobContext[] = [];
    const s = await scheduler();
    s.define('t:tick', async (ctx) => void seen.push(ctx), opts);
    await s.every('t:tick', '300ms', { source: 'crm' });
    await s.start();
    await waitFor('three runs', () => seen.length >= 3);
    expect(seen[0]).toMatchObject({ name: 't:tick', data: { source: 'crm' } });
    expect(seen[0]!.signal.aborted).toBe(false);
    const { jobs } = await repo().queryJobs({ name: 't:tick' });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ type: 'single', repeatInterval: '300' });
  });

  it('accepts cron and human-interval schedules and rejects nonsense naming the job', async () => {
    const s = await scheduler();
    s.define('t:cron', async () => undefined, { ...opts, schedule: '*/15 * * * *' });
    s.define('t:human', async () => undefined, { ...opts, schedule: '15 minutes' });
    expect(() => s.define('t:bad', async () => undefined, { ...opts, schedule: 'every blue moon' })).toThrow(/t:bad: invalid schedule/);
    expect(() => s.define('t:bad', async () => undefined, { ...opts, lockLifetime: 'forever' })).toThrow(/t:bad: lockLifetime/);
    expect(() => s.define('t:bad', async () => undefined, { ...opts, concurrency: 0 })).toThrow(/concurrency/);
    await s.start();
    const cron = (await repo().queryJobs({ name: 't:cron' })).jobs[0]!;
    expect(cron.repeatInterval).toBe('*/15 * * * *');
    expect(cron.nextRunAt!.getTime()).toBeGreaterThan(Date.now());
    expect((await repo().queryJobs({ name: 't:human' })).jobs[0]!.repeatInterval).toBe('15 minutes');
  });

  it('records failures (failCount, failReason, failedAt) and runs a failing recurring job again', async () => {
    let runs = 0;
    const s = await scheduler();
    s.define(
      't:boom',
      async () => {
        runs++;
        throw new Error(`boom ${runs}`);
      },
      opts,
    );
    await s.every('t:boom', '200ms');
    await s.start();
    await waitFor('two failed runs stored', async () => ((await repo().queryJobs({ name: 't:boom' })).jobs[0]?.failCount ?? 0) >= 2);
    const job = (await repo().queryJobs({ name: 't:boom' })).jobs[0]!;
    expect(job.failReason).toMatch(/^boom \d+$/);
    expect(job.failedAt).toBeInstanceOf(Date);
    expect(job.repeatInterval).toBe('200');
  });

  it('retries a failed one-off job with backoff until it succeeds, and gives up after the stated attempts', async () => {
    let flaky = 0;
    let hopeless = 0;
    const s = await scheduler({ remove_on_complete: false });
    s.define(
      't:flaky',
      async () => {
        if (++flaky < 3) throw new Error(`flaky ${flaky}`);
      },
      { ...opts, retry: { attempts: 3, delay: '100ms' } },
    );
    s.define(
      't:hopeless',
      async () => {
        hopeless++;
        throw new Error('never');
      },
      { ...opts, retry: { attempts: 2, delay: '100ms' } },
    );
    await s.start();
    await s.now('t:flaky');
    await s.now('t:hopeless');

    await waitFor('flaky job to succeed', async () => (await repo().queryJobs({ name: 't:flaky', state: 'completed' })).total === 1);
    expect(flaky).toBe(3);
    expect((await repo().queryJobs({ name: 't:flaky' })).jobs[0]!.failCount).toBe(0); // reset by Agenda on success

    await waitFor('hopeless job to fail for good', async () => (await repo().queryJobs({ name: 't:hopeless' })).jobs[0]?.failCount === 3);
    await sleep(600); // no fourth attempt
    expect(hopeless).toBe(3);
    const failed = (await repo().queryJobs({ name: 't:hopeless' })).jobs[0]!;
    expect(failed).toMatchObject({ state: 'failed', failReason: 'never', nextRunAt: null });
  });

  it('removes a succeeded one-off job by default', async () => {
    let ran = 0;
    const s = await scheduler();
    s.define('t:once', async () => void ran++, opts);
    await s.start();
    await s.now('t:once', { n: 1 });
    await waitFor('the run', () => ran === 1);
    await waitFor('the row to go', async () => (await repo().queryJobs({ name: 't:once' })).total === 0);
  });

  it('keeps scheduled jobs across a restart: stop, close system.duckdb, reopen, they run', async () => {
    const first = await scheduler();
    first.define('t:persist-once', async () => undefined, opts);
    first.define('t:persist-every', async () => undefined, opts);
    await first.now('t:persist-once', { order: 42 });
    await first.every('t:persist-every', '1 hour');
    const before = (await repo().queryJobs({ name: 't:persist-every' })).jobs[0]!;
    await first.stop();
    await db.close();

    db = await DuckDbSystemDb.open(dbPath);
    await migrate(db, migrations);
    expect((await repo().queryJobs({ name: 't:persist-once' })).jobs[0]!.data).toEqual({ order: 42 });
    const seen: JobContext[] = [];
    const second = await scheduler();
    second.define('t:persist-once', async (ctx) => void seen.push(ctx), opts);
    second.define('t:persist-every', async (ctx) => void seen.push(ctx), { ...opts, schedule: '1 hour' });
    await second.start();
    await waitFor('both persisted jobs to run', () => seen.length >= 2);
    expect(seen.map((c) => c.name).sort()).toEqual(['t:persist-every', 't:persist-once']);
    expect(seen.find((c) => c.name === 't:persist-once')!.data).toEqual({ order: 42 });
    const after = (await repo().queryJobs({ name: 't:persist-every' })).jobs;
    expect(after.map((j) => String(j._id))).toEqual([String(before._id)]); // the same row, re-declared
  });

  it('takes over a job whose worker died holding the lock, once the lock lifetime has passed', async () => {
    const stale = await repo().saveJob({ name: 't:orphan', priority: 0, type: 'normal', nextRunAt: new Date(), data: {} }, undefined);
    await repo().getNextJobToRun('t:orphan', new Date(), new Date(0), new Date(Date.now() - 120_000), { lastModifiedBy: 'dead' });
    let ran = 0;
    const s = await scheduler();
    s.define('t:orphan', async () => void ran++, { lockLifetime: '1m', concurrency: 1 });
    await s.start();
    await waitFor('the orphaned job to run', () => ran === 1);
    expect(String(stale._id)).toBeTruthy();
  });

  it('aborts the signal on stop, releases the lock and queues an interrupted one-off again; stop is idempotent', async () => {
    let started = false;
    let reason: unknown;
    const s = await scheduler({ remove_on_complete: false });
    s.define(
      't:long',
      async ({ signal }) => {
        started = true;
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        reason = signal.reason;
        throw signal.reason;
      },
      opts,
    );
    await s.start();
    await s.now('t:long');
    await waitFor('the job to start', () => started);
    await Promise.all([s.stop(), s.stop()]);
    await s.stop();
    expect(String(reason)).toMatch(/stopping/);
    const job = (await repo().queryJobs({ name: 't:long' })).jobs[0]!;
    expect(job.lockedAt).toBeUndefined();
    expect(job.nextRunAt).toBeInstanceOf(Date); // will run again after the restart
    expect(job.failReason).toMatch(/stopping/);
    expect(s.health().status).toBe('unhealthy');
  });

  it('unlocks a job that ignores its signal once stop_timeout has passed', async () => {
    let release!: () => void;
    const s = await scheduler({ stop_timeout: '300ms', remove_on_complete: false });
    s.define('t:stubborn', () => new Promise<void>((r) => (release = r)), opts);
    await s.start();
    await s.now('t:stubborn');
    await waitFor('the job to start', () => release !== undefined);
    await s.stop();
    const job = (await repo().queryJobs({ name: 't:stubborn' })).jobs[0]!;
    expect(job.lockedAt).toBeUndefined();
    expect(job.nextRunAt).toBeInstanceOf(Date);
    release();
  });

  it('aborts the signal when a run exceeds its lock lifetime', async () => {
    let reason: unknown;
    const s = await scheduler({ remove_on_complete: false });
    s.define(
      't:slow',
      async ({ signal }) => {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        reason = signal.reason;
        throw signal.reason;
      },
      { lockLifetime: '400ms', concurrency: 1 },
    );
    await s.start();
    await s.now('t:slow');
    await waitFor('the lock-lifetime abort', () => reason !== undefined);
    expect(String(reason)).toMatch(/exceeded its lock lifetime of 400ms/);
    await waitFor('the failure to be stored', async () => (await repo().queryJobs({ name: 't:slow' })).jobs[0]?.failCount === 1);
  });

  it('keeps one recurring job per unique key, updates it in place, and never confuses it with a one-off', async () => {
    const seen: JobContext[] = [];
    const s = await scheduler({ remove_on_complete: false });
    s.define('t:sync', async (ctx) => void seen.push(ctx), opts);
    await s.every('t:sync', '1 hour', { source: 'crm' }, { source: 'crm' });
    await s.every('t:sync', '1 hour', { source: 'erp' }, { source: 'erp' });
    await s.every('t:sync', '2 hours', { source: 'crm', full: true }, { source: 'crm' });
    await s.now('t:sync', { source: 'crm' });
    await s.every('t:sync', '2 hours', { source: 'crm', full: true }, { source: 'crm' });
    const rows = (await repo().queryJobs({ name: 't:sync' })).jobs;
    const recurring = rows.filter((j) => j.repeatInterval);
    expect(recurring).toHaveLength(2);
    expect(recurring.find((j) => (j.data as { source: string }).source === 'crm')).toMatchObject({ repeatInterval: '2 hours', data: { full: true } });
    expect(rows.filter((j) => !j.repeatInterval)).toHaveLength(1);

    await s.start();
    await waitFor('three runs', () => seen.length >= 3);
    expect(seen).toHaveLength(3);
    expect(seen.map((c) => c.data)).toEqual(expect.arrayContaining([{ source: 'crm' }, { source: 'crm', full: true }, { source: 'erp' }]));
  });

  it('two schedulers on one system.duckdb run each queued job exactly once', async () => {
    const runs: { by: string; i: number }[] = [];
    const [a, b] = [await scheduler(), await scheduler()];
    for (const [s, id] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      s.define(
        't:shared',
        async ({ data }) => {
          runs.push({ by: id, i: data.i as number });
          await sleep(10);
        },
        { lockLifetime: '1m', concurrency: 3 },
      );
    }
    await Promise.all([a.start(), b.start()]);
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).now('t:shared', { i })));
    await waitFor('20 runs', () => runs.length >= 20);
    await sleep(500); // room for a duplicate to show up
    expect(runs.map((r) => r.i).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('reports health, refuses unknown and disabled jobs, and disables stored runs of a disabled job', async () => {
    const s = await scheduler();
    expect(s.health()).toMatchObject({ status: 'unhealthy', detail: expect.stringMatching(/not started/) });
    s.define('t:on', async () => undefined, opts);
    s.define('t:off', async () => undefined, { ...opts, enabled: false });
    await expect(s.now('t:unknown')).rejects.toMatchObject({ code: 'AIDA_JOB_UNKNOWN' });
    await expect(s.now('t:off')).rejects.toMatchObject({ code: 'AIDA_JOB_DISABLED' });
    await s.every('t:off', '1 hour'); // a no-op, not an error
    expect((await repo().queryJobs({ name: 't:off' })).total).toBe(0);
    await repo().saveJob({ name: 't:off', priority: 0, type: 'normal', nextRunAt: new Date(Date.now() + 60_000), data: {} }, undefined);
    await s.start();
    expect(s.health().status).toBe('healthy');
    expect((await repo().queryJobs({ name: 't:off' })).jobs[0]!.disabled).toBe(true);
  });

  it('drops the stored schedule of a job whose schedule was removed from config', async () => {
    const first = await scheduler();
    first.define('t:was-scheduled', async () => undefined, { ...opts, schedule: '1 hour' });
    await first.start();
    expect((await repo().queryJobs({ name: 't:was-scheduled' })).total).toBe(1);
    await first.stop();
    const second = await scheduler();
    second.define('t:was-scheduled', async () => undefined, opts);
    await second.start();
    expect((await repo().queryJobs({ name: 't:was-scheduled' })).total).toBe(0);
  });
});
