// Scale out (docs/deploy.md): one worker and two web hosts as real `aida serve` processes on one
// PostgreSQL schema and data dir. Catalog requests/s against one web host and against two, and
// how long after the worker serves a rebuild both web hosts serve it too.
import { spawn } from 'node:child_process';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { autocannon, median, report, withTempDir } from './lib.mjs';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const cli = join(root, 'packages', 'host', 'dist', 'cli.js');
const PG_URL = process.env.AIDA_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const ADMIN = { AIDA_ADMIN_EMAIL: 'bench@example.com', AIDA_ADMIN_PASSWORD: 'bench-password-1' };

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function until(fn, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await fn()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function serve(role, env) {
  const port = await freePort();
  const child = spawn(process.execPath, [cli, 'serve', '--role', role], {
    env: { ...process.env, ...env, PORT: String(port), AIDA_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${base}/api/health`)).status < 500, 60_000, `the ${role} host`);
  return { child, base };
}

async function count(base, headers) {
  const res = await fetch(`${base}/api/query`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ sql: 'SELECT count(*) FROM orders' }),
  });
  if (!res.ok) return -1;
  return Number((await res.json()).rows[0][0]);
}

export async function benchScaleOut({ rebuilds = 10, seconds = 10 } = {}) {
  const schema = `aida_bench_scale_${process.pid}`;
  const procs = [];
  try {
    await withTempDir('aida-bench-scale-', async (dir) => {
      const files = join(dir, 'files');
      await mkdir(files);
      await writeFile(join(files, 'orders.csv'), 'id,amount\n1,1\n');
      let rows = 1;
      const config = join(dir, 'instance.yaml');
      await writeFile(
        config,
        `state: { backend: postgres, schema: ${schema} }\njobs: { process_every: 200ms }\nplugins:\n  - package: "@aida/host/local-files"\n    config: { sources: [{ name: files, path: ${JSON.stringify(files)} }] }\n`,
      );
      const env = { AIDA_CONFIG: config, AIDA_DATA_DIR: join(dir, 'data'), AIDA_DATABASE_URL: PG_URL, ...ADMIN };
      const worker = await serve('worker', env);
      procs.push(worker);
      const webs = [await serve('web', env), await serve('web', env)];
      procs.push(...webs);
      const signIn = await fetch(`${webs[0].base}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: ADMIN.AIDA_ADMIN_EMAIL, password: ADMIN.AIDA_ADMIN_PASSWORD }),
      });
      const headers = { authorization: `Bearer ${(await signIn.json()).access_token}` };

      const lags = [];
      const builds = [];
      for (let i = 0; i <= rebuilds; i++) {
        await appendFile(join(files, 'orders.csv'), `${rows + 1},${i}\n`);
        rows++;
        const started = performance.now();
        const triggered = await fetch(`${worker.base}/api/sync/trigger`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: '{}',
        });
        if (!triggered.ok) throw new Error(`trigger: ${triggered.status} ${await triggered.text()}`);
        await until(async () => (await count(worker.base, headers)) === rows, 60_000, 'the worker serving the rebuild');
        const onWorker = performance.now();
        await until(async () => (await count(webs[0].base, headers)) === rows && (await count(webs[1].base, headers)) === rows, 60_000, 'both web hosts');
        if (i === 0) continue; // the first also opens caches on every host
        builds.push(onWorker - started);
        lags.push(performance.now() - onWorker);
      }
      report(`scale out: worker rebuild → both web hosts serving it (median of ${rebuilds})`, median(lags), 'ms', {
        baseline: median(builds),
        baselineName: 'trigger → the worker serving its own rebuild',
        target: '< 1000 ms',
        pass: median(lags) < 1000,
      });

      const url = (p) => `${p.base}/api/catalog/tables`;
      const one = await autocannon(url(webs[0]), headers, { connections: 32, seconds });
      const two = await Promise.all(webs.map((w) => autocannon(url(w), headers, { connections: 16, seconds })));
      const twoRps = two.reduce((s, r) => s + r.requests.average, 0);
      const errors = two.reduce((s, r) => s + r.errors + r.non2xx, one.errors + one.non2xx);
      report(`scale out: catalog requests/s on two web hosts (32 connections; errors ${errors})`, twoRps, 'req/s', {
        baseline: one.requests.average,
        baselineName: 'one web host, 32 connections (on this 2-core machine both hosts and the load share the cores)',
        target: 'no errors; >= 1x one host',
        pass: errors === 0 && twoRps >= one.requests.average,
      });
    });
  } finally {
    for (const p of procs) p.child.kill('SIGKILL');
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}
