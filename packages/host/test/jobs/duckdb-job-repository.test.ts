import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobParameters } from 'agenda';
import { DuckDbSystemDb, type SystemDb } from '../../src/state/system-db.js';
import { migrate, migrations } from '../../src/state/migrations/index.js';
import { DuckDbJobRepository, jsonContains } from '../../src/jobs/duckdb-job-repository.js';

const minutes = (n: number) => n * 60_000;
const ago = (ms: number) => new Date(Date.now() - ms);
const by = { lastModifiedBy: 'test-worker' };

function job(name: string, over: Partial<JobParameters> = {}): JobParameters {
  return { name, priority: 0, type: 'normal', nextRunAt: ago(1000), data: {}, ...over };
}

describe('DuckDbJobRepository on a real system.duckdb', () => {
  let dir: string;
  let db: SystemDb;
  let repo: DuckDbJobRepository;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aida-jobs-repo-'));
    db = await DuckDbSystemDb.open(join(dir, 'state', 'system.duckdb'));
    await migrate(db, migrations);
    repo = new DuckDbJobRepository(db);
    await repo.connect();
  });

  afterEach(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to connect before the migration created the jobs table', async () => {
    const bare = await DuckDbSystemDb.open(join(dir, 'bare.duckdb'));
    try {
      await expect(new DuckDbJobRepository(bare).connect()).rejects.toThrow(/no jobs table/);
    } finally {
      await bare.close();
    }
  });

  it('gives a due job to exactly one of several concurrent lock attempts', async () => {
    const saved = await repo.saveJob(job('t:a'), by);
    const attempts = await Promise.all(
      Array.from({ length: 6 }, (_, i) => repo.getNextJobToRun('t:a', new Date(), ago(minutes(10)), undefined, { lastModifiedBy: `w${i}` })),
    );
    const winners = attempts.filter((j) => j !== undefined);
    expect(winners).toHaveLength(1);
    expect(String(winners[0]!._id)).toBe(String(saved._id));
    expect(winners[0]!.lockedAt).toBeInstanceOf(Date);
    const stored = await repo.getJobById(String(saved._id));
    expect(stored!.lastModifiedBy).toBe(winners[0]!.lastModifiedBy);
  });

  it('lockJob: of two concurrent attempts on the same job one wins', async () => {
    const saved = await repo.saveJob(job('t:b'), by);
    const [a, b] = await Promise.all([repo.lockJob(saved, by), repo.lockJob(saved, by)]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    // Locked: neither lockJob nor getNextJobToRun (lock still fresh) gets it again.
    expect(await repo.lockJob(saved, by)).toBeUndefined();
    expect(await repo.getNextJobToRun('t:b', new Date(), ago(minutes(10)), undefined, by)).toBeUndefined();
  });

  it('lets another worker take over an expired lock, and only an expired one', async () => {
    const saved = await repo.saveJob(job('t:c'), by);
    const first = await repo.getNextJobToRun('t:c', new Date(), ago(minutes(10)), ago(minutes(20)), { lastModifiedBy: 'dead-worker' });
    expect(first?.lockedAt?.getTime()).toBeLessThan(ago(minutes(19)).getTime());
    // Deadline older than the lock: still considered alive.
    expect(await repo.getNextJobToRun('t:c', new Date(), ago(minutes(30)), undefined, by)).toBeUndefined();
    // Deadline newer than the lock: expired, taken over.
    const taken = await repo.getNextJobToRun('t:c', new Date(), ago(minutes(10)), undefined, { lastModifiedBy: 'live-worker' });
    expect(String(taken?._id)).toBe(String(saved._id));
    expect(taken!.lastModifiedBy).toBe('live-worker');
    expect(taken!.lockedAt!.getTime()).toBeGreaterThan(ago(minutes(1)).getTime());
  });

  it('does not lock disabled jobs, jobs due after the next scan, or other names', async () => {
    await repo.saveJob(job('t:d', { disabled: true }), by);
    await repo.saveJob(job('t:d', { nextRunAt: new Date(Date.now() + minutes(5)) }), by);
    await repo.saveJob(job('t:other'), by);
    expect(await repo.getNextJobToRun('t:d', new Date(), ago(minutes(10)), undefined, by)).toBeUndefined();
    // Due within the scan window (nextScanAt ahead of it): lockable.
    expect(await repo.getNextJobToRun('t:d', new Date(Date.now() + minutes(6)), ago(minutes(10)), undefined, by)).toBeDefined();
  });

  it('picks the earliest due job first, then the higher priority', async () => {
    const late = ago(1000);
    await repo.saveJob(job('t:e', { nextRunAt: late, priority: 0, data: { n: 'late-low' } }), by);
    await repo.saveJob(job('t:e', { nextRunAt: ago(5000), priority: 0, data: { n: 'early' } }), by);
    await repo.saveJob(job('t:e', { nextRunAt: late, priority: 10, data: { n: 'late-high' } }), by);
    const order: unknown[] = [];
    for (;;) {
      const next = await repo.getNextJobToRun('t:e', new Date(), ago(minutes(10)), undefined, by);
      if (!next) break;
      order.push((next.data as { n: string }).n);
    }
    expect(order).toEqual(['early', 'late-high', 'late-low']);
  });

  it('round-trips every attribute through saveJob, saveJobState and getJobById', async () => {
    const start = new Date('2030-01-01T00:00:00.000Z');
    const saved = await repo.saveJob(
      job('t:f', {
        data: { nested: { a: [1, 'two', null] }, flag: true },
        repeatInterval: '*/5 * * * *',
        repeatTimezone: 'Europe/Prague',
        startDate: start,
        skipDays: [0, 6],
        priority: 5,
      }),
      by,
    );
    const lastRunAt = new Date(Date.now() - 1234);
    await repo.saveJobState(
      { ...saved, lockedAt: undefined, lastRunAt, lastFinishedAt: new Date(), failCount: 2, failReason: 'boom', failedAt: lastRunAt, progress: 50 },
      by,
    );
    const back = await repo.getJobById(String(saved._id));
    expect(back).toMatchObject({
      name: 't:f',
      priority: 5,
      type: 'normal',
      data: { nested: { a: [1, 'two', null] }, flag: true },
      repeatInterval: '*/5 * * * *',
      repeatTimezone: 'Europe/Prague',
      startDate: start,
      skipDays: [0, 6],
      failCount: 2,
      failReason: 'boom',
      failedAt: lastRunAt,
      lastRunAt,
      progress: 50,
      disabled: false,
      lastModifiedBy: 'test-worker',
    });
    expect(back!.lockedAt).toBeUndefined();
    await expect(repo.saveJobState({ ...saved, _id: 'missing' as never }, by)).rejects.toThrow(/cannot be updated/);
  });

  it('keeps one row per name for single jobs and protects a due nextRunAt on re-declaration', async () => {
    const first = await repo.saveJob(job('t:g', { type: 'single', repeatInterval: '1 hour', nextRunAt: ago(60_000) }), by);
    const again = await repo.saveJob(job('t:g', { type: 'single', repeatInterval: '2 hours', nextRunAt: new Date() }), by);
    expect(String(again._id)).toBe(String(first._id));
    expect(again.repeatInterval).toBe('2 hours');
    expect(again.nextRunAt!.getTime()).toBe(first.nextRunAt!.getTime());
    const later = new Date(Date.now() + minutes(60));
    expect((await repo.saveJob(job('t:g', { type: 'single', nextRunAt: later }), by)).nextRunAt!.getTime()).toBe(later.getTime());
    expect((await repo.queryJobs({ name: 't:g' })).total).toBe(1);
  });

  it('upserts by a unique key: insertOnly returns the existing row, another key inserts', async () => {
    const unique = { 'data.source': 'crm' };
    const a = await repo.saveJob({ ...job('t:h', { data: { source: 'crm', v: 1 } }), unique }, by);
    const same = await repo.saveJob({ ...job('t:h', { data: { source: 'crm', v: 2 } }), unique, uniqueOpts: { insertOnly: true } }, by);
    expect(String(same._id)).toBe(String(a._id));
    expect(same.data).toEqual({ source: 'crm', v: 1 });
    const updated = await repo.saveJob({ ...job('t:h', { data: { source: 'crm', v: 3 } }), unique }, by);
    expect(String(updated._id)).toBe(String(a._id));
    expect(updated.data).toEqual({ source: 'crm', v: 3 });
    const other = await repo.saveJob({ ...job('t:h', { data: { source: 'erp' } }), unique: { 'data.source': 'erp' } }, by);
    expect(String(other._id)).not.toBe(String(a._id));
    await expect(repo.saveJob({ ...job('t:h'), unique: { 'bogus; DROP TABLE jobs': 1 } }, by)).rejects.toThrow(/Invalid unique/);
  });

  it('debounces: trailing pushes nextRunAt back, maxWait forces a run', async () => {
    const unique = { 'data.k': 1 };
    const first = await repo.saveJob({ ...job('t:i', { data: { k: 1 } }), unique, uniqueOpts: { debounce: { delay: 60_000 } } }, by);
    expect(first.nextRunAt!.getTime()).toBeGreaterThan(Date.now() + 50_000);
    expect(first.debounceStartedAt).toBeInstanceOf(Date);
    const forced = await repo.saveJob({ ...job('t:i', { data: { k: 1 } }), unique, uniqueOpts: { debounce: { delay: 60_000, maxWait: 1 } } }, by);
    expect(String(forced._id)).toBe(String(first._id));
    expect(forced.nextRunAt!.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('queries with filters, state, search, sort and paging', async () => {
    await repo.saveJob(job('plug:alpha', { data: { source: 'crm', deep: { x: 1 } } }), by);
    await repo.saveJob(job('plug:alpha', { data: { source: 'erp' }, nextRunAt: new Date(Date.now() + minutes(5)) }), by);
    await repo.saveJob(job('plug:beta_x', { repeatInterval: '1 hour' }), by);
    await repo.saveJob(job('plug:gamma', { disabled: true }), by);
    const failed = await repo.saveJob(job('plug:gamma'), by);
    // One instant for both: two `new Date()`s a millisecond apart make the job completed, not failed (Agenda's computeJobState).
    const failedAt = new Date();
    await repo.saveJobState({ ...failed, nextRunAt: null, failCount: 1, failReason: 'x', failedAt, lastFinishedAt: failedAt }, by);

    expect((await repo.queryJobs()).total).toBe(5);
    expect((await repo.queryJobs({ name: 'plug:alpha' })).total).toBe(2);
    expect((await repo.queryJobs({ names: ['plug:alpha', 'plug:gamma'] })).total).toBe(4);
    expect((await repo.queryJobs({ search: 'beta_' })).jobs.map((j) => j.name)).toEqual(['plug:beta_x']);
    expect((await repo.queryJobs({ search: '%' })).total).toBe(0); // LIKE wildcards are literal
    expect((await repo.queryJobs({ data: { deep: { x: 1 } } })).total).toBe(1);
    expect((await repo.queryJobs({ includeDisabled: false })).total).toBe(4);
    expect((await repo.queryJobs({ state: 'paused' })).jobs.map((j) => j.name)).toEqual(['plug:gamma']);
    expect((await repo.queryJobs({ state: 'failed' })).jobs.map((j) => String(j._id))).toEqual([String(failed._id)]);
    expect((await repo.queryJobs({ state: 'scheduled' })).total).toBe(1);
    expect((await repo.queryJobs({ state: 'repeating' })).total).toBe(1);
    expect((await repo.queryJobs({ id: String(failed._id) })).jobs[0]!.state).toBe('failed');

    const sorted = await repo.queryJobs({ sort: { name: 'desc' } });
    expect(sorted.jobs.map((j) => j.name)).toEqual([...sorted.jobs.map((j) => j.name)].sort().reverse());
    const page = await repo.queryJobs({ sort: { name: 'asc' }, skip: 1, limit: 2 });
    expect(page.total).toBe(5);
    expect(page.jobs.map((j) => j.name)).toEqual(
      sorted.jobs
        .map((j) => j.name)
        .reverse()
        .slice(1, 3),
    );

    const overview = await repo.getJobsOverview();
    expect(overview.find((o) => o.name === 'plug:gamma')).toMatchObject({ total: 2, failed: 1, paused: 1 });
    expect(overview.find((o) => o.name === 'plug:alpha')).toMatchObject({ total: 2, queued: 1, scheduled: 1 });
    expect(await repo.getDistinctJobNames()).toEqual(['plug:alpha', 'plug:beta_x', 'plug:gamma']);
    expect(await repo.getQueueSize()).toBe(3); // alpha/crm, beta_x, disabled gamma
  });

  it('removes, disables and enables by id, name, names, notNames and data; purges everything', async () => {
    const a = await repo.saveJob(job('p:a', { data: { source: 'crm' } }), by);
    await repo.saveJob(job('p:a', { data: { source: 'erp' } }), by);
    await repo.saveJob(job('p:b'), by);
    await repo.saveJob(job('p:c'), by);

    expect(await repo.removeJobs({})).toBe(0); // no criterion: nothing, not everything
    expect(await repo.disableJobs({ name: 'p:a', data: { source: 'crm' } })).toBe(1);
    expect((await repo.getJobById(String(a._id)))!.disabled).toBe(true);
    expect(await repo.getNextJobToRun('p:a', new Date(), ago(minutes(10)), undefined, by)).toMatchObject({ data: { source: 'erp' } });
    expect(await repo.enableJobs({ ids: [String(a._id)] })).toBe(1);
    expect(await repo.disableJobs({ names: ['p:b', 'p:c'] })).toBe(2);
    expect(await repo.removeJobs({ notNames: ['p:a', 'p:b'] })).toBe(1);
    expect(await repo.removeJobs({ data: { source: 'crm' } })).toBe(1);
    expect(await repo.removeJobs({ id: String(a._id) })).toBe(0);
    expect(await repo.purgeAllJobs()).toBe(2);
    expect((await repo.queryJobs()).total).toBe(0);
  });

  it('unlockJob keeps the lock of a running one-off; unlockJobs releases any', async () => {
    const oneOff = await repo.saveJob(job('p:u'), by);
    const locked = (await repo.getNextJobToRun('p:u', new Date(), ago(minutes(10)), undefined, by))!;
    await repo.saveJobState({ ...locked, nextRunAt: null }, by); // running, as Agenda saves it
    await repo.unlockJob({ ...locked, nextRunAt: null });
    expect((await repo.getJobById(String(oneOff._id)))!.lockedAt).toBeInstanceOf(Date);
    await repo.unlockJobs([String(oneOff._id)]);
    expect((await repo.getJobById(String(oneOff._id)))!.lockedAt).toBeUndefined();
  });
});

describe('jsonContains', () => {
  it('follows PostgreSQL @> semantics', () => {
    expect(jsonContains({ a: 1, b: { c: [1, 2, 3] } }, { b: { c: [3, 1] } })).toBe(true);
    expect(jsonContains({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonContains({ a: [{ x: 1, y: 2 }] }, { a: [{ x: 1 }] })).toBe(true);
    expect(jsonContains({ a: '1' }, { a: 1 })).toBe(false);
    expect(jsonContains(undefined, {})).toBe(false);
    expect(jsonContains({}, {})).toBe(true);
  });
});
