import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, type TestContext } from 'vitest';
import pino from 'pino';
import { PostgresJobRepository } from '@agendajs/postgres-backend';
import { Redis } from 'ioredis';
import { DuckDbSystemDb, type SystemDb } from '../../src/state/system-db.js';
import { jobsConfigSchema, type JobsConfigInput } from '../../src/jobs/config.js';
import { JobScheduler } from '../../src/jobs/scheduler.js';

/**
 * Two JobScheduler instances on one shared engine, as a multi-instance deployment runs
 * them: every due run must happen on exactly one of them.
 */

const logger = pino({ level: process.env.AIDA_TEST_LOG ?? 'silent' });
const POSTGRES_URL = process.env.AIDA_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.AIDA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const runId = () => `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Engine {
  /** Config for one test; unique table/prefix/collection so runs never meet. */
  config(): JobsConfigInput;
  /** Removes what the test stored. */
  cleanup(config: JobsConfigInput): Promise<void>;
}

/** Why the engine cannot be used here, or undefined when it can. */
type Availability = () => string | undefined;

function twoInstanceSuite(engine: Engine, unavailable: Availability = () => undefined): void {
  let dir: string;
  let systemDb: SystemDb;
  let config: JobsConfigInput;
  const schedulers: JobScheduler[] = [];

  async function scheduler(): Promise<JobScheduler> {
    const s = await JobScheduler.create({
      config: jobsConfigSchema.parse({ process_every: '150ms', stop_timeout: '5s', ...config }),
      systemDb,
      logger,
      instanceName: 'test',
    });
    schedulers.push(s);
    return s;
  }

  function skipIfUnavailable(ctx: TestContext): void {
    const reason = unavailable();
    if (reason) {
      console.warn(reason);
      ctx.skip();
    }
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aida-jobs-shared-'));
    // The host always has a system database; shared backends just do not use it.
    systemDb = await DuckDbSystemDb.open(join(dir, 'system.duckdb'));
    config = unavailable() ? {} : engine.config();
  });

  afterEach(async () => {
    for (const s of schedulers.splice(0)) await s.stop();
    if (!unavailable()) await engine.cleanup(config);
    await systemDb.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs each queued one-off job exactly once across two instances', async (ctx) => {
    skipIfUnavailable(ctx);
    const runs: { by: string; i: number }[] = [];
    const [a, b] = await Promise.all([scheduler(), scheduler()]);
    for (const [s, id] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      s.define(
        't:once',
        async ({ data }) => {
          runs.push({ by: id, i: data.i as number });
          await sleep(30);
        },
        { lockLifetime: '1m', concurrency: 3 },
      );
    }
    await Promise.all([a.start(), b.start()]);
    await Promise.all(Array.from({ length: 15 }, (_, i) => (i % 2 ? a : b).now('t:once', { i })));
    await waitFor('15 runs', () => runs.length >= 15);
    await sleep(1000); // room for a duplicate to show up
    expect(runs.map((r) => r.i).sort((x, y) => x - y)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    console.info(`one-off runs per instance: a=${runs.filter((r) => r.by === 'a').length} b=${runs.filter((r) => r.by === 'b').length}`);
  });

  it('runs each occurrence of a recurring job once when both instances declare it at the same moment', async (ctx) => {
    skipIfUnavailable(ctx);
    const starts: Record<string, number[]> = { 't:tick': [], 't:per-source': [] };
    const [a, b] = await Promise.all([scheduler(), scheduler()]);
    for (const s of [a, b]) {
      for (const name of Object.keys(starts)) {
        s.define(name, async () => void starts[name]!.push(Date.now()), { lockLifetime: '1m', concurrency: 1 });
      }
    }
    // Declared concurrently by both, as two instances starting together do.
    await Promise.all([a, b].flatMap((s) => [s.every('t:tick', '1 second'), s.every('t:per-source', '1 second', { source: 'crm' }, { source: 'crm' })]));
    await Promise.all([a.start(), b.start()]);
    await waitFor('three occurrences of each', () => Object.values(starts).every((t) => t.length >= 3));
    await Promise.all([a.stop(), b.stop()]);

    for (const [name, times] of Object.entries(starts)) {
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      // An occurrence starts >= 1 s after the previous one started (less the time Agenda takes
      // to save it before calling the handler); a duplicate would start within one poll of it.
      expect(Math.min(...gaps), `${name} started at ${times.join(', ')}`).toBeGreaterThan(300);
    }
    const jobs = await (await scheduler()).list();
    expect(jobs.map((j) => j.name).sort()).toEqual(['t:per-source', 't:tick']);
    expect(jobs.find((j) => j.name === 't:per-source')!.data).toEqual({ source: 'crm' });
  });

  it('hands a one-off job interrupted by stop() over to the other instance', async (ctx) => {
    skipIfUnavailable(ctx);
    const ranOn: string[] = [];
    let aborted = false;
    const a = await scheduler();
    a.define(
      't:handoff',
      async ({ signal }) => {
        ranOn.push('a');
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        aborted = true;
        throw signal.reason;
      },
      { lockLifetime: '10m', concurrency: 1 },
    );
    await a.start();
    await a.now('t:handoff', { n: 7 });
    await waitFor('a to start the job', () => ranOn.length === 1);

    const b = await scheduler();
    let dataOnB: unknown;
    b.define(
      't:handoff',
      async ({ data }) => {
        ranOn.push('b');
        dataOnB = data;
      },
      { lockLifetime: '10m', concurrency: 1 },
    );
    await b.start();
    await a.stop();
    expect(aborted).toBe(true);
    // Without the release on stop, b would wait out the 10-minute lock lifetime.
    await waitFor('b to run the job', () => ranOn.includes('b'));
    expect(ranOn).toEqual(['a', 'b']);
    expect(dataOnB).toEqual({ n: 7 });
  });
}

describe('JobScheduler × 2 on PostgreSQL', () => {
  twoInstanceSuite({
    config: () => ({ backend: 'postgres', url: POSTGRES_URL, table: `aida_jobs_t${runId()}` }),
    async cleanup(config) {
      // The backend's own pool (typed, unlike bare pg), without creating anything.
      const admin = new PostgresJobRepository({ connectionString: POSTGRES_URL, ensureSchema: false });
      try {
        const pool = admin.getPool();
        await pool.query(`DROP TABLE IF EXISTS "${config.table}" CASCADE`);
        await pool.query(`DROP TABLE IF EXISTS "${config.table}_logs" CASCADE`);
        await pool.query(`DROP FUNCTION IF EXISTS update_${config.table}_updated_at() CASCADE`);
      } finally {
        await admin.close();
      }
    },
  });
});

describe('JobScheduler × 2 on Redis', () => {
  twoInstanceSuite({
    config: () => ({ backend: 'redis', url: REDIS_URL, key_prefix: `aida:test:${runId()}:` }),
    async cleanup(config) {
      const redis = new Redis(REDIS_URL);
      try {
        const keys: string[] = [];
        let cursor = '0';
        do {
          const [next, found] = await redis.scan(cursor, 'MATCH', `${config.key_prefix}*`, 'COUNT', 500);
          cursor = next;
          keys.push(...found);
        } while (cursor !== '0');
        if (keys.length) await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
    },
  });
});

describe('JobScheduler × 2 on MongoDB (mongodb-memory-server)', () => {
  let server: { getUri(): string; stop(): Promise<unknown> } | undefined;
  let reason: string | undefined;

  beforeAll(async () => {
    try {
      const { MongoMemoryServer } = await import('mongodb-memory-server');
      // It downloads a mongod binary unless one is cached or set by MONGOMS_SYSTEM_BINARY.
      server = await Promise.race([
        MongoMemoryServer.create(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('mongod did not start within 45 s')), 45_000)),
      ]);
    } catch (err) {
      reason = `skipping the MongoDB job backend tests: mongodb-memory-server cannot start a mongod here (${
        err instanceof Error ? err.message.split('\n')[0] : String(err)
      }); set MONGOMS_SYSTEM_BINARY to a local mongod to run them`;
    }
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  twoInstanceSuite(
    {
      config: () => ({ backend: 'mongo', url: `${server!.getUri().replace(/\/?$/, '/')}aida`, collection: `jobs_${runId()}` }),
      async cleanup() {
        // The in-memory server and its data go away in afterAll.
      },
    },
    () => reason,
  );
});
