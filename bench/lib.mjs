// Small helpers shared by the benchmarks: timing, medians, temp dirs, a results table.
import { fork, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export async function time(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Runs `fn` `n` times and returns the median duration in ms. */
export async function medianOf(n, fn) {
  const runs = [];
  for (let i = 0; i < n; i++) runs.push((await time(() => fn(i))).ms);
  return median(runs);
}

export async function withTempDir(prefix, fn) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const rows = [];
export function report(name, value, unit, { baseline, baselineName, target, pass } = {}) {
  const ratio = baseline ? value / baseline : undefined;
  rows.push({
    name,
    value: `${value.toFixed(1)} ${unit}`,
    baseline: baseline ? `${baseline.toFixed(1)} ${unit} (${baselineName})` : '',
    ratio: ratio ? `${ratio.toFixed(2)}x` : '',
    target: target ?? '',
    ok: pass === undefined ? '' : pass ? 'yes' : 'NO',
  });
  console.log(
    `${name}: ${value.toFixed(1)} ${unit}${ratio ? `  | ${baselineName}: ${baseline.toFixed(1)} ${unit}  | ratio ${ratio.toFixed(2)}x` : ''}${target ? `  | target ${target}: ${pass ? 'met' : 'NOT met'}` : ''}`,
  );
}

/**
 * Runs `name` exported by `module` (called with `{ report, ...options }`) in a node process of
 * its own, its lines printed as they come and its rows added to this run's summary: for
 * latency under steady load, which the heap and threads left by earlier benches in this
 * process would skew (a Jira run after the 10M-row query bench was about a third slower).
 */
export function inOwnProcess(module, name, options = {}) {
  const child = fork(fileURLToPath(new URL('./child.mjs', import.meta.url)), [module, name, JSON.stringify(options)], { execArgv: ['--expose-gc'] });
  return new Promise((resolve, reject) => {
    child.on('message', (m) => rows.push(...m.rows));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} (${module}) exited ${code}`))));
  });
}

/** What this process reported, for a parent's summary (see inOwnProcess). */
export const reportedRows = () => rows;

export function printSummary() {
  console.log('\nsummary');
  console.table(rows);
}

/** A host on `dataDir` listening on loopback, with an env-created admin signed in. */
export async function startBenchHost(dataDir, config = {}) {
  const { createHost } = await import('@aida/host');
  const { pino } = await import('pino');
  process.env.AIDA_ADMIN_EMAIL = 'bench@example.com';
  process.env.AIDA_ADMIN_PASSWORD = 'bench-password';
  const host = await createHost({ dataDir, config, logger: pino({ level: 'silent' }) });
  await host.start();
  const { url, close } = await host.listen(0, '127.0.0.1');
  const login = await (
    await fetch(`${url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bench@example.com', password: 'bench-password' }),
    })
  ).json();
  return { host, url, close, admin: { authorization: `Bearer ${login.access_token}` } };
}

/** autocannon in its own process, so the load generator does not share the event loop with the server. */
export function autocannon(url, headers, { connections = 32, seconds = 10 } = {}) {
  const bin = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'node_modules', '.bin', 'autocannon');
  const args = ['-c', String(connections), '-d', String(seconds), '--json', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url];
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`autocannon exited ${code}`))));
  });
}
