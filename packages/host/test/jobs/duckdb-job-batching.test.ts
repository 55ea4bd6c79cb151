import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobParameters } from 'agenda';
import { DuckDbSystemDb, type SystemDb } from '../../src/state/system-db.js';
import { migrate, migrations } from '../../src/state/migrations/index.js';
import { DuckDbJobRepository } from '../../src/jobs/duckdb-job-repository.js';

/**
 * The repository answers calls that pile up with one statement per batch; each caller must
 * still get exactly its own answer, and nothing may stay locked that nobody runs.
 */

const ago = (ms: number) => new Date(Date.now() - ms);
const by = { lastModifiedBy: 'test-worker' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function job(name: string, over: Partial<JobParameters> = {}): JobParameters {
  return { name, priority: 0, type: 'normal', nextRunAt: ago(1000), data: {}, ...over };
}

describe('DuckDbJobRepository batching', () => {
  let dir: string;
  let db: SystemDb;
  let repo: DuckDbJobRepository;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aida-jobs-batch-'));
    db = await DuckDbSystemDb.open(join(dir, 'state', 'system.duckdb'));
    await migrate(db, migrations);
    repo = new DuckDbJobRepository(db);
    await repo.connect();
  });

  afterEach(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores concurrent inserts each with its own id and data', async () => {
    const saved = await Promise.all(Array.from({ length: 40 }, (_, i) => repo.saveJob(job('b:ins', { data: { i } }), by)));
    expect(new Set(saved.map((j) => String(j._id))).size).toBe(40);
    expect(saved.map((j) => (j.data as { i: number }).i)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    for (const j of saved.slice(0, 5)) expect((await repo.getJobById(String(j._id)))!.data).toEqual(j.data);
  });

  it('hands each due job to one of many concurrent lock polls, across names, and nothing to the rest', async () => {
    for (let i = 0; i < 30; i++) await repo.saveJob(job('b:a', { data: { i } }), by);
    for (let i = 0; i < 3; i++) await repo.saveJob(job('b:b', { data: { i } }), by);
    const poll = (name: string) => repo.getNextJobToRun(name, new Date(), ago(60_000), undefined, by);
    const got = await Promise.all([...Array.from({ length: 50 }, () => poll('b:a')), ...Array.from({ length: 5 }, () => poll('b:b'))]);
    const a = got.slice(0, 50).filter((j) => j !== undefined);
    const b = got.slice(50).filter((j) => j !== undefined);
    expect(new Set(a.map((j) => String(j._id))).size).toBe(30);
    expect(a.every((j) => j.name === 'b:a')).toBe(true);
    expect(new Set(b.map((j) => String(j._id))).size).toBe(3);
    expect(b.every((j) => j.name === 'b:b')).toBe(true);
  });

  it('unlocks what it locked ahead for a backlog once nobody claims it', async () => {
    for (let i = 0; i < 6; i++) await repo.saveJob(job('b:ahead', { data: { i } }), by);
    const poll = () => repo.getNextJobToRun('b:ahead', new Date(), ago(60_000), undefined, by);
    // A queue fill asking again right after each answer, then stopping (its lock limit).
    const taken = [await poll(), await poll(), await poll(), await poll()];
    await sleep(200);
    const locked = (await repo.queryJobs({ name: 'b:ahead' })).jobs.filter((j) => j.lockedAt);
    expect(locked.map((j) => String(j._id)).sort()).toEqual(taken.map((j) => String(j!._id)).sort());
    expect(taken.map((j) => (j!.data as { i: number }).i)).toEqual([0, 1, 2, 3]);
  });

  it('answers each state save of a batch on its own: a removed job fails only its own save', async () => {
    const jobs = await Promise.all(Array.from({ length: 5 }, (_, i) => repo.saveJob(job('b:state', { data: { i } }), by)));
    await repo.removeJobs({ id: String(jobs[2]!._id) });
    const results = await Promise.allSettled(jobs.map((j, i) => repo.saveJobState({ ...j, lastRunAt: new Date(), progress: i * 10 }, by)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/does not exist anymore/);
    expect((await repo.getJobById(String(jobs[4]!._id)))!.progress).toBe(40);
  });

  it('removes concurrently by id, counting each removal once', async () => {
    const jobs = await Promise.all(Array.from({ length: 10 }, () => repo.saveJob(job('b:rm'), by)));
    const ids = jobs.map((j) => String(j._id));
    const counts = await Promise.all([...ids, ids[0]!].map((id) => repo.removeJobs({ id })));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(10);
    expect((await repo.queryJobs({ name: 'b:rm' })).total).toBe(0);
  });

  it('does not queue job statements behind the rest of the host on the system database', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // Another user of system.duckdb holds its connection in a long transaction.
    const busy = db.transaction(async (tx) => {
      await tx.all('SELECT 1');
      await gate;
    });
    const saved = await repo.saveJob(job('b:lane'), by);
    expect(await repo.getNextJobToRun('b:lane', new Date(), ago(60_000), undefined, by)).toMatchObject({ _id: saved._id });
    release();
    await busy;
  });
});
