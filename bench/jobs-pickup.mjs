// Job pickup under load: 250 one-off jobs, time until every handler has started, on the
// embedded DuckDB job repository against Agenda's PostgreSQL backend in the same run.
// Two ways the jobs arrive: queued before the scheduler starts (a restart with a backlog),
// and 250 now() calls at once against a running scheduler (a burst of API calls; each one
// notifies the processor). Concurrency is 250, so "all started" measures pickup (locks and
// start-state saves), not Agenda's lock limit, which refills only on a poll. Handlers return
// at once; finished runs are removed (remove_on_complete), as in a host.
// PostgreSQL: AIDA_BENCH_POSTGRES_URL (default the local test database).
import { join } from 'node:path';
import { pino } from 'pino';
import pg from 'pg';
import { median, report, withTempDir } from './lib.mjs';

const POSTGRES_URL = process.env.AIDA_BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const logger = pino({ level: 'silent' });

async function modules() {
  const { SystemDb } = await import('../packages/host/dist/state/system-db.js');
  const { migrate, migrations } = await import('../packages/host/dist/state/migrations/index.js');
  const { JobScheduler } = await import('../packages/host/dist/jobs/scheduler.js');
  const { jobsConfigSchema } = await import('../packages/host/dist/jobs/config.js');
  return { SystemDb, migrate, migrations, JobScheduler, jobsConfigSchema };
}

/** One run: a fresh system.duckdb (and a fresh Postgres table); ms from the go until the first and the last handler started. */
async function pickupOnce(m, backend, { jobs, mode }) {
  return withTempDir('aida-bench-jobs-', async (dir) => {
    const db = await m.SystemDb.open(join(dir, 'state', 'system.duckdb'));
    await m.migrate(db, m.migrations);
    const table = `bench_jobs_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const config = m.jobsConfigSchema.parse({
      backend,
      url: backend === 'postgres' ? POSTGRES_URL : undefined,
      table,
      process_every: '5s',
      max_concurrency: jobs,
    });
    const scheduler = await m.JobScheduler.create({ config, systemDb: db, logger, instanceName: 'bench' });
    const starts = [];
    let t0 = 0;
    let allStarted;
    const done = new Promise((r) => (allStarted = r));
    scheduler.define(
      'bench:job',
      async () => {
        starts.push(performance.now() - t0);
        if (starts.length === jobs) allStarted();
      },
      // Agenda keeps a liveness timer of half the lock lifetime per run; short, so the process exits soon after.
      { lockLifetime: '10s', concurrency: jobs },
    );
    try {
      if (mode === 'queued') {
        // Before start() the processor ignores the notifications: the jobs just wait in the table.
        await Promise.all(Array.from({ length: jobs }, (_, i) => scheduler.now('bench:job', { i })));
        t0 = performance.now();
        await scheduler.start();
      } else {
        await scheduler.start();
        t0 = performance.now();
        await Promise.all(Array.from({ length: jobs }, (_, i) => scheduler.now('bench:job', { i })));
      }
      await done;
      return { first: Math.min(...starts), all: Math.max(...starts) };
    } finally {
      await scheduler.stop();
      await db.close();
      if (backend === 'postgres') await dropTables(table);
    }
  });
}

async function dropTables(table) {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS "${table}"; DROP TABLE IF EXISTS "${table}_logs"`);
  } finally {
    await client.end();
  }
}

async function postgresReachable() {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function benchJobsPickup({ jobs = 250, runs = 3 } = {}) {
  if (!(await postgresReachable())) {
    console.log(`jobs pickup: skipped, PostgreSQL is not reachable at ${POSTGRES_URL} (set AIDA_BENCH_POSTGRES_URL)`);
    return;
  }
  const m = await modules();
  for (const mode of ['queued', 'burst']) {
    const results = { duckdb: [], postgres: [] };
    // Alternated, so drift in machine load hits both backends alike.
    for (let i = 0; i < runs; i++) {
      for (const backend of ['duckdb', 'postgres']) results[backend].push(await pickupOnce(m, backend, { jobs, mode }));
    }
    const what = mode === 'queued' ? `${jobs} jobs queued before start` : `${jobs} now() calls at once on a running scheduler`;
    const all = (b) => median(results[b].map((r) => r.all));
    const first = (b) => median(results[b].map((r) => r.first));
    report(`jobs pickup, ${what}: first handler started (median of ${runs})`, first('duckdb'), 'ms', {
      baseline: first('postgres'),
      baselineName: 'Agenda PostgreSQL backend',
    });
    const ratio = all('duckdb') / all('postgres');
    report(`jobs pickup, ${what}: all started (median of ${runs})`, all('duckdb'), 'ms', {
      baseline: all('postgres'),
      baselineName: 'Agenda PostgreSQL backend',
      target: '<= 2x',
      pass: ratio <= 2,
    });
  }
}

// `node bench/jobs-pickup.mjs` runs this benchmark alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { printSummary } = await import('./lib.mjs');
  await benchJobsPickup({ jobs: Number(process.env.BENCH_JOBS ?? 250) });
  printSummary();
}
