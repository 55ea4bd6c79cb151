// What both Jira benchmarks share: the fake Jira Cloud, a real host running the plugin against
// it (default settings, listening on loopback, an env-created admin signed in), POST /api/query
// as that admin, and the durations the host and the plugin log (a batch applied, a rebuild),
// read from the log lines so the benchmarks time the engine without reaching into it.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtractWriter } from '@aida/core';
import { createHost } from '@aida/host';
import { pino } from 'pino';

const dist = new URL('../dist/', import.meta.url);
const { jiraPlugin } = await import(new URL('index.js', dist).href);
const { startFakeJira } = await import(new URL('testing/index.js', dist).href);

/** Log messages whose `duration_ms` the benchmarks collect, by a short name. */
const TIMED = { 'jira store batch applied': 'apply', 'analytics database rebuilt': 'rebuild' };

/** A pino logger at debug level that keeps the timed lines and drops the rest (BENCH_LOG=1 prints them all). */
function capturingLogger() {
  const timings = { apply: [], rebuild: [] };
  const stream = {
    write(line) {
      if (process.env.BENCH_LOG) process.stderr.write(line);
      if (!line.includes('"duration_ms"')) return;
      const entry = JSON.parse(line);
      const name = TIMED[entry.msg];
      if (name) timings[name].push({ at: performance.now(), ms: entry.duration_ms, ops: entry.ops });
    },
  };
  return { logger: pino({ level: 'debug' }, stream), timings };
}

/**
 * Times the extract writer's steps (open, each table's write with the files it rewrote, commit)
 * by wrapping its methods for the benchmark's length: what a batch apply spends where. The
 * plugin writes through the same @aida/core module, so the wrappers see its pushes.
 */
export function timeExtractWriter() {
  const steps = { open: [], commit: [], tables: new Map() };
  const proto = ExtractWriter.prototype;
  const original = { open: ExtractWriter.open, write: proto.write, commit: proto.commit };
  ExtractWriter.open = async function (...args) {
    const t = performance.now();
    const writer = await original.open.apply(this, args);
    steps.open.push(performance.now() - t);
    return writer;
  };
  proto.write = async function (name, ...args) {
    const t = performance.now();
    const result = await original.write.call(this, name, ...args);
    const table = steps.tables.get(name) ?? { ms: [], files: 0 };
    table.ms.push(performance.now() - t);
    table.files += result.written.length;
    steps.tables.set(name, table);
    return result;
  };
  proto.commit = async function (...args) {
    const t = performance.now();
    try {
      return await original.commit.apply(this, args);
    } finally {
      steps.commit.push(performance.now() - t);
    }
  };
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  return {
    /** One line per step: total ms, calls, and for tables the Parquet files rewritten. */
    summary() {
      const tables = [...steps.tables].sort((a, b) => sum(b[1].ms) - sum(a[1].ms));
      return [
        `writer open ${sum(steps.open).toFixed(0)} ms (${steps.open.length})`,
        ...tables.map(([name, t]) => `${name} ${sum(t.ms).toFixed(0)} ms (${t.ms.length} writes, ${t.files} files)`),
        `commit ${sum(steps.commit).toFixed(0)} ms (${steps.commit.length})`,
      ].join(', ');
    },
    restore() {
      Object.assign(ExtractWriter, { open: original.open });
      Object.assign(proto, { write: original.write, commit: original.commit });
    },
  };
}

/** The fake site both benchmarks serve: one project, SUP. */
export const FAKE_OPTIONS = { projects: [{ key: 'SUP', name: 'Support' }] };

/**
 * Starts the fake (in this thread, unless `startFake` starts it elsewhere: see fake-thread.mjs)
 * and a host with the plugin. `pluginConfig` is merged over the required settings; everything
 * else is the defaults an instance gets.
 */
export async function startJiraBench({ pluginConfig = {}, hostConfig = {}, startFake = startFakeJira } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'aida-bench-jira-'));
  const fake = await startFake(FAKE_OPTIONS);
  const secret = randomBytes(16).toString('hex');
  process.env.AIDA_BENCH_JIRA_EMAIL = fake.email;
  process.env.AIDA_BENCH_JIRA_TOKEN = fake.apiToken;
  process.env.AIDA_BENCH_JIRA_SECRET = secret;
  process.env.AIDA_ADMIN_EMAIL = 'bench@example.com';
  process.env.AIDA_ADMIN_PASSWORD = 'bench-password';
  const config = {
    url: fake.url,
    email_env: 'AIDA_BENCH_JIRA_EMAIL',
    token_env: 'AIDA_BENCH_JIRA_TOKEN',
    webhook_secret_env: 'AIDA_BENCH_JIRA_SECRET',
    jql: 'project in (SUP)',
    // The SLA poll and consistency check would run at start (an interval's first run is now) and
    // refetch issues alongside what is measured; a run also leaves Agenda's lock check timer
    // (lockLifetime / 2) holding the process open after host.stop(). A cron for New Year keeps them idle.
    sla_poll: { schedule: '0 0 1 1 *' },
    consistency: { schedule: '0 0 1 1 *' },
    ...pluginConfig,
  };
  const { logger, timings } = capturingLogger();
  const host = await createHost({ dataDir, plugins: [{ plugin: jiraPlugin, config }], config: hostConfig, logger });
  await host.start();
  const server = await host.listen(0, '127.0.0.1');
  const login = await (
    await fetch(`${server.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bench@example.com', password: 'bench-password' }),
    })
  ).json();
  const authorization = `Bearer ${login.access_token}`;

  /** Rows of one SELECT through POST /api/query as the admin. */
  async function query(sql, limit = 100_000) {
    const res = await fetch(`${server.url}/api/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ sql, limit }),
    });
    const json = await res.json();
    if (res.status !== 200) throw new Error(`query failed (${res.status}): ${json.message}`);
    return json.rows;
  }

  return {
    fake,
    host,
    url: server.url,
    secret,
    timings,
    query,
    connector: host.connector('jira'),
    async stop() {
      await server.close();
      await host.stop();
      await fake.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The value below which `p` of `xs` lie (nearest rank); NaN for none. */
export function percentile(xs, p) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

/** `n=… p50 … p95 … max … sum …` of a list of durations, for the diagnostic lines. */
export function describe(xs) {
  if (!xs.length) return 'none';
  const sum = xs.reduce((a, b) => a + b, 0);
  return `n=${xs.length} p50 ${percentile(xs, 0.5).toFixed(0)} ms, p95 ${percentile(xs, 0.95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms, sum ${sum.toFixed(0)} ms`;
}

/** Creation times spread over `months` months before now, for `fake.seed`'s `start` and `stepMinutes`. */
export function spreadOver(n, months) {
  const spanMinutes = months * 30.44 * 24 * 60;
  const stepMinutes = Math.max(1, Math.floor(spanMinutes / Math.max(1, n)));
  return { start: new Date(Date.now() - (n * stepMinutes + 60) * 60_000).toISOString(), stepMinutes };
}

/**
 * The machine's state over a measured stretch: other processes on a small box move every figure
 * here, so each benchmark prints the load it ran under and how much CPU this process got.
 */
export function machineLoad() {
  const load = loadavg()[0];
  const cpu = process.cpuUsage();
  const t = performance.now();
  return () => {
    const used = process.cpuUsage(cpu);
    const busy = (used.user + used.system) / 1000 / (performance.now() - t);
    return `${availableParallelism()} CPUs, 1-min load ${load.toFixed(1)} → ${loadavg()[0].toFixed(1)}, this process ${busy.toFixed(2)} CPUs busy`;
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
