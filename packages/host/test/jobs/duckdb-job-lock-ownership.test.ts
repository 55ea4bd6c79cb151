import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { JobParameters } from 'agenda';
import { DuckDbSystemDb, type SystemDb } from '../../src/state/system-db.js';
import { migrate, migrations } from '../../src/state/migrations/index.js';
import { DuckDbJobRepository } from '../../src/jobs/duckdb-job-repository.js';
import { jobsConfigSchema } from '../../src/jobs/config.js';
import { JobScheduler } from '../../src/jobs/scheduler.js';

/**
 * A run whose lock expired (it overran its lock lifetime) keeps going in the background
 * after another run took the job over. When it finally saves its state, it must not
 * clear the newer run's lock, or a third run could start next to the second.
 */

const logger = pino({ level: process.env.AIDA_TEST_LOG ?? 'silent' });
const ago = (ms: number) => new Date(Date.now() - ms);
const minutes = (n: number) => n * 60_000;

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('DuckDB job repository: state is saved only by the run that holds the lock', () => {
  let dir: string;
  let db: SystemDb;
  let repo: DuckDbJobRepository;
  let scheduler: JobScheduler | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aida-jobs-owner-'));
    db = await DuckDbSystemDb.open(join(dir, 'state', 'system.duckdb'));
    await migrate(db, migrations);
    repo = new DuckDbJobRepository(db);
    await repo.connect();
  });

  afterEach(async () => {
    await scheduler?.stop();
    scheduler = undefined;
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a late finisher of an older run does not clear the lock of the newer run', async () => {
    const saved = await repo.saveJob({ name: 't:own', priority: 0, type: 'normal', nextRunAt: ago(minutes(3)), data: {} }, undefined);
    const id = String(saved._id);

    // Run A locked the job two minutes ago and started; Agenda copies the locked row into its Job.
    const lockedA = await repo.getNextJobToRun('t:own', new Date(), ago(minutes(10)), ago(minutes(2)), { lastModifiedBy: 'worker-a' });
    const runA: JobParameters = { ...lockedA!, lastRunAt: ago(minutes(2)), nextRunAt: null };
    await repo.saveJobState(runA, { lastModifiedBy: 'worker-a' });

    // A's lock lifetime (1 minute) has passed: worker B takes the job over.
    const lockedB = await repo.getNextJobToRun('t:own', new Date(), ago(minutes(1)), undefined, { lastModifiedBy: 'worker-b' });
    expect(String(lockedB?._id)).toBe(id);

    // A finishes before B has even saved its start …
    runA.lockedAt = undefined;
    runA.lastFinishedAt = new Date();
    await expect(repo.saveJobState(runA, { lastModifiedBy: 'worker-a' })).rejects.toThrow(/newer run|lock/);
    let row = (await repo.getJobById(id))!;
    expect(row.lockedAt).toEqual(lockedB!.lockedAt);
    expect(row.lastFinishedAt).toBeUndefined();
    expect(row.lastModifiedBy).toBe('worker-b');

    // … and again after B started: still refused.
    const runB: JobParameters = { ...lockedB!, lastRunAt: new Date(), nextRunAt: null };
    await repo.saveJobState(runB, { lastModifiedBy: 'worker-b' });
    await expect(repo.saveJobState(runA, { lastModifiedBy: 'worker-a' })).rejects.toThrow(/newer run|lock/);
    row = (await repo.getJobById(id))!;
    expect(row.lockedAt).toEqual(lockedB!.lockedAt);
    expect(row.lastRunAt).toEqual(runB.lastRunAt);

    // The lock holder itself extends (touch) and releases its lock as usual.
    const touchedAt = new Date(Date.now() + 5);
    runB.lockedAt = touchedAt;
    await repo.saveJobState(runB, { lastModifiedBy: 'worker-b' });
    expect((await repo.getJobById(id))!.lockedAt).toEqual(touchedAt);
    runB.lockedAt = undefined;
    runB.lastFinishedAt = new Date();
    await repo.saveJobState(runB, { lastModifiedBy: 'worker-b' });
    row = (await repo.getJobById(id))!;
    expect(row.lockedAt).toBeUndefined();
    expect(row.lastFinishedAt).toEqual(runB.lastFinishedAt);
  });

  it('through a real scheduler: a run that overran its lock lifetime finishes without unlocking its successor', async () => {
    const releases: (() => void)[] = [];
    scheduler = await JobScheduler.create({
      config: jobsConfigSchema.parse({ process_every: '100ms', stop_timeout: '300ms', remove_on_complete: false }),
      systemDb: db,
      logger,
      instanceName: 'test',
    });
    // Ignores its signal, as a stuck plugin would; each run waits for the test to release it.
    scheduler.define('t:overrun', () => new Promise<void>((resolve) => releases.push(resolve)), { lockLifetime: '2s', concurrency: 1 });
    await scheduler.start();
    await scheduler.now('t:overrun');
    await waitFor('the first run', () => releases.length === 1);
    // Agenda gives up on the first run once its lock expired and starts a second one.
    await waitFor('the second run', () => releases.length === 2);
    const second = (await repo.queryJobs({ name: 't:overrun' })).jobs[0]!;
    expect(second.lockedAt).toBeInstanceOf(Date);

    releases[0]!(); // the first run finishes late
    await sleep(300);
    const after = (await repo.queryJobs({ name: 't:overrun' })).jobs[0]!;
    expect(after.lockedAt).toEqual(second.lockedAt);
    expect(after.lastFinishedAt).toBeUndefined();
    expect(after.state).toBe('running');
    releases[1]!();
  });
});
