import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { DuckDbSystemDb, type SystemDb } from '../../src/state/system-db.js';
import { migrate, migrations } from '../../src/state/migrations/index.js';
import { DuckDbJobRepository } from '../../src/jobs/duckdb-job-repository.js';
import { jobsConfigSchema } from '../../src/jobs/config.js';
import { JobScheduler } from '../../src/jobs/scheduler.js';

/**
 * Handlers (plugin code) may throw anything. Whatever they throw, the run must end like a
 * failed run: reason stored as readable text, lock released, retry settings honoured.
 */

const logger = pino({ level: process.env.AIDA_TEST_LOG ?? 'silent' });

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What each handler throws, and the failReason it must leave behind. */
const THROWN: { kind: string; value: unknown; reason: string | RegExp }[] = [
  { kind: 'object', value: { code: 'E_PLUGIN', detail: { table: 'orders' } }, reason: '{"code":"E_PLUGIN","detail":{"table":"orders"}}' },
  { kind: 'string', value: 'quota exceeded', reason: 'quota exceeded' },
  { kind: 'number', value: 42, reason: '42' },
  { kind: 'undefined', value: undefined, reason: /undefined/ },
  { kind: 'null', value: null, reason: /null/ },
];

describe('JobScheduler on DuckDB: handlers that throw something other than an Error', () => {
  let dir: string;
  let db: SystemDb;
  let scheduler: JobScheduler | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aida-jobs-nonerror-'));
    db = await DuckDbSystemDb.open(join(dir, 'state', 'system.duckdb'));
    await migrate(db, migrations);
  });

  afterEach(async () => {
    await scheduler?.stop();
    scheduler = undefined;
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores a readable reason, releases the lock and retries exactly as configured', async () => {
    const runs = new Map<string, number>();
    scheduler = await JobScheduler.create({
      config: jobsConfigSchema.parse({ process_every: '100ms', stop_timeout: '5s', remove_on_complete: false }),
      systemDb: db,
      logger,
      instanceName: 'test',
    });
    for (const { kind, value } of THROWN) {
      scheduler.define(
        `t:throws-${kind}`,
        async () => {
          runs.set(kind, (runs.get(kind) ?? 0) + 1);
          throw value;
        },
        { lockLifetime: '1m', concurrency: 1, retry: { attempts: 2, delay: '100ms' } },
      );
    }
    await scheduler.start();
    for (const { kind } of THROWN) await scheduler.now(`t:throws-${kind}`);

    const repo = new DuckDbJobRepository(db);
    const row = async (kind: string) => (await repo.queryJobs({ name: `t:throws-${kind}` })).jobs[0];
    for (const { kind } of THROWN) {
      await waitFor(`${kind}: three failed attempts stored`, async () => (await row(kind))?.failCount === 3);
    }
    await sleep(800); // room for a fourth attempt, which must not come

    for (const { kind, reason } of THROWN) {
      expect(runs.get(kind), kind).toBe(3); // the first run and two retries
      const job = (await row(kind))!;
      expect(job.failReason, kind).toEqual(typeof reason === 'string' ? reason : expect.stringMatching(reason));
      expect(job.lockedAt, kind).toBeUndefined();
      expect(job.lastFinishedAt, kind).toBeInstanceOf(Date);
      expect(job, kind).toMatchObject({ state: 'failed', nextRunAt: null, failCount: 3 });
    }
  });
});
