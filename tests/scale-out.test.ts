// Issue 16: two web hosts and one worker on one machine, sharing a data dir and a PostgreSQL
// schema. Real `aida serve` processes on loopback ports; the worker extracts and rebuilds, the
// web hosts adopt each database it announces.
import { appendFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, freePort, spawnNode, TEST_ADMIN, adminHeaders, waitFor, type Spawned } from './helpers.js';

const PG_URL = process.env.AIDA_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const schema = `aida_scale_${process.pid}_${Date.now().toString(36)}`;

let dir: string;
let dataDir: string;
let filesDir: string;
let configPath: string;
const running = new Set<Spawned>();

interface Proc {
  run: Spawned;
  base: string;
}

async function serve(role: 'web' | 'worker'): Promise<Proc> {
  const port = await freePort();
  const run = spawnNode([cliPath, 'serve', '--role', role], {
    cwd: dir,
    env: { PORT: String(port), AIDA_CONFIG: configPath, AIDA_DATA_DIR: dataDir, AIDA_DATABASE_URL: PG_URL, AIDA_LOG_LEVEL: 'warn', ...TEST_ADMIN },
  });
  running.add(run);
  void run.exited.then(() => running.delete(run));
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/api/health`)).status < 500, 60_000, `the ${role} host on ${base} (output: ${run.output().slice(-800)})`);
  return { run, base };
}

async function dropSchema(): Promise<void> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The row count of `orders` as the host at `base` serves it. */
async function ordersOn(base: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(`${base}/api/query`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ sql: 'SELECT count(*) AS n FROM orders' }),
  });
  const body = await json<{ rows: unknown[][]; columns: string[] }>(res);
  return Number(body.rows[0][0]);
}

async function trigger(base: string, headers: Record<string, string>): Promise<void> {
  await json(await fetch(`${base}/api/sync/trigger`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' }));
}

let rows = 0;
async function addOrders(n: number): Promise<void> {
  const lines = Array.from({ length: n }, (_, i) => `${rows + i + 1},${(rows + i) % 97}\n`).join('');
  await appendFile(join(filesDir, 'orders.csv'), lines);
  rows += n;
}

let worker: Proc;
let webA: Proc;
let webB: Proc;
let headersA: Record<string, string>;
let headersB: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aida-scale-'));
  dataDir = join(dir, 'data');
  filesDir = join(dir, 'files');
  await mkdir(filesDir, { recursive: true });
  await writeFile(join(filesDir, 'orders.csv'), 'id,amount\n');
  await addOrders(100);
  configPath = join(dir, 'instance.yaml');
  await writeFile(
    configPath,
    [
      'state:',
      '  backend: postgres',
      `  schema: ${schema}`,
      'jobs:',
      '  process_every: 200ms',
      '  default_lock_lifetime: 10s',
      'plugins:',
      '  - package: "@aida/host/local-files"',
      '    config:',
      `      sources: [{ name: files, path: ${JSON.stringify(filesDir)} }]`,
      // Killed mid-extraction, the worker's lock on the sync expires this soon, so a new one resumes.
      '    jobs: { sync: { lock_lifetime: 5s } }',
      '',
    ].join('\n'),
  );
  // The worker first: it creates the schema, the JWT secret in the data dir and the first database.
  worker = await serve('worker');
  [webA, webB] = await Promise.all([serve('web'), serve('web')]);
  headersA = await adminHeaders(webA.base);
  headersB = await adminHeaders(webB.base);
}, 180_000);

afterAll(async () => {
  for (const r of running) r.child.kill('SIGKILL');
  await Promise.all([...running].map((r) => r.exited));
  await dropSchema().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe('scale out: two web hosts and one worker on one PostgreSQL schema and data dir', () => {
  it('a sync triggered on a web host runs on the worker and becomes visible on both web hosts', async () => {
    await trigger(webA.base, headersA);
    await waitFor(
      async () => (await ordersOn(webA.base, headersA)) === rows && (await ordersOn(webB.base, headersB)) === rows,
      60_000,
      'orders on both web hosts',
    );
    expect(await ordersOn(webB.base, headersB)).toBe(100);
    // The web hosts ran nothing: the worker's output shows the extraction, theirs does not.
    expect(webA.run.output()).not.toMatch(/analytics database rebuilt/);
  });

  it('8 clients querying both web hosts through 20 rebuilds see no failed query', async () => {
    let stop = false;
    const failures: string[] = [];
    let answered = 0;
    const client = async (proc: Proc, headers: Record<string, string>) => {
      while (!stop) {
        try {
          const n = await ordersOn(proc.base, headers);
          if (n < 100 || n > rows) failures.push(`${proc.base}: ${n} rows, expected 100..${rows}`);
          answered++;
        } catch (e) {
          failures.push(`${proc.base}: ${(e as Error).message}`);
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, i) => (i % 2 ? client(webA, headersA) : client(webB, headersB)));
    for (let i = 0; i < 20; i++) {
      await addOrders(10);
      const want = rows;
      await trigger(i % 2 ? webA.base : webB.base, i % 2 ? headersA : headersB);
      await waitFor(
        async () => (await ordersOn(webA.base, headersA)) === want && (await ordersOn(webB.base, headersB)) === want,
        60_000,
        `rebuild ${i + 1} on both hosts`,
      );
    }
    stop = true;
    await Promise.all(clients);
    console.log(`${answered} queries answered through 20 rebuilds on two web hosts`);
    expect(failures, `${webA.run.output().slice(-3000)}\n${webB.run.output().slice(-3000)}`).toEqual([]);
    expect(answered).toBeGreaterThan(20);
  }, 300_000);

  it('a token revoked through web host A is refused by web host B within a second', async () => {
    const created = await json<{ id: string; token: string }>(
      await fetch(`${webA.base}/auth/tokens`, {
        method: 'POST',
        headers: { ...headersA, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'scale' }),
      }),
    );
    const withPat = { authorization: `Bearer ${created.token}` };
    await waitFor(async () => (await fetch(`${webB.base}/auth/me`, { headers: withPat })).status === 200, 5000, 'the new token on host B');
    expect((await fetch(`${webA.base}/auth/tokens/${created.id}`, { method: 'DELETE', headers: headersA })).status).toBeLessThan(300);
    const revokedAt = Date.now();
    await waitFor(async () => (await fetch(`${webB.base}/auth/me`, { headers: withPat })).status === 401, 5000, 'host B refusing the revoked token');
    expect(Date.now() - revokedAt).toBeLessThan(1000);
  });

  it('killing the worker mid-extraction leaves both web hosts serving the previous data, and a restarted worker resumes', async () => {
    const before = rows;
    // Big enough that the extraction is still running when the worker is killed.
    for (let i = 0; i < 10; i++) await addOrders(200_000);
    await trigger(webA.base, headersA);
    // Mid-extraction: the writer's staging folder is there until its commit.
    const sourceDir = join(dataDir, 'extracts', 'files');
    await waitFor(async () => (await readdir(sourceDir)).some((f) => f.startsWith('.staging-')), 30_000, 'the extraction to start');
    worker.run.child.kill('SIGKILL');
    await worker.run.exited;
    expect(await ordersOn(webA.base, headersA)).toBe(before);
    expect(await ordersOn(webB.base, headersB)).toBe(before);

    worker = await serve('worker');
    // The killed run's lock expires and the new worker takes the sync up again (or a new trigger runs it).
    await trigger(webB.base, headersB);
    await waitFor(
      async () => (await ordersOn(webA.base, headersA)) === rows && (await ordersOn(webB.base, headersB)) === rows,
      120_000,
      'the new data on both hosts',
    );
  }, 240_000);
});
