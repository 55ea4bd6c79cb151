#!/usr/bin/env node
// The container test (`npm run test:container`): builds the Dockerfile with podman on a base image
// made here (no registry is reachable: see base-image.sh), then checks what an operator relies on:
// the container runs as non-root, /api/health answers 200 within 30 s, SIGTERM stops the host
// cleanly (it is PID 1), a user created before a restart is there after it (the volume), and
// `aida backup` of the live container restored into a fresh volume brings back users and tables.
// Prints the image size and the time to healthy. Skipped, saying why, where podman is missing.
//
// Environment: AIDA_TEST_BASE_IMAGE to use an existing base image instead of building one;
// AIDA_TEST_CONTEXT for another build context (default: this checkout).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const context = process.env.AIDA_TEST_CONTEXT ?? join(here, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'aida-container-'));
const tag = `localhost/aida:test-${process.pid}`;
const suffix = `${process.pid}`;
const results = [];
const started = Date.now();
let imageSize = '?';
let timeToHealthy = NaN;

function log(line) {
  process.stdout.write(`${line}\n`);
}

if (spawnSync('podman', ['--version'], { encoding: 'utf8' }).status !== 0) {
  log('container test skipped: podman is not installed (Debian: apt-get install -y podman runc debootstrap)');
  process.exit(0);
}

// No systemd, no rootless setup here: runc, no default ulimits (the sandbox refuses raising them), host networking.
const conf = join(work, 'containers.conf');
writeFileSync(conf, '[containers]\ndefault_ulimits = []\n');
const env = { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? conf };
const runtime = existsSync('/usr/sbin/runc') ? ['--runtime', '/usr/sbin/runc'] : [];

/** Runs podman to completion; throws with its output when it fails (unless `ok` allows). */
function podman(args, { input, ok = false, binary = false } = {}) {
  const r = spawnSync('podman', [...runtime, ...args], { env, input, encoding: binary ? 'buffer' : 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0 && !ok) throw new Error(`podman ${args.join(' ')} failed (${r.status}): ${String(r.stderr).slice(-2000)}`);
  return r;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function check(name, fn) {
  const t0 = Date.now();
  try {
    const note = await fn();
    results.push({ name, ok: true });
    log(`ok   ${name}${note ? ` — ${note}` : ''} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push({ name, ok: false });
    log(`FAIL ${name}: ${e.message}`);
  }
}

/** Polls /api/health until 200; returns the seconds it took. */
async function healthy(port, limitMs) {
  const t0 = Date.now();
  while (Date.now() - t0 < limitMs) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health`);
      if (res.status === 200) return (Date.now() - t0) / 1000;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`/api/health on port ${port} did not answer 200 within ${limitMs / 1000} s`);
}

async function signIn(port, email, password) {
  const res = await fetch(`http://127.0.0.1:${port}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = await res.json().catch(() => ({}));
  if (res.status !== 200) throw new Error(`sign-in of ${email} answered ${res.status}: ${JSON.stringify(body)}`);
  return body.access_token;
}

async function api(port, token, method, path, body) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => undefined);
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

const ADMIN = { email: 'ops@example.com', password: 'correct-horse-1' };
const KEPT = { email: 'kept@example.com', password: 'kept-password-1' };
const names = { c1: `aida-test-a-${suffix}`, c2: `aida-test-b-${suffix}`, v1: `aida-test-a-${suffix}`, v2: `aida-test-b-${suffix}` };

function cleanup() {
  for (const c of [names.c1, names.c2]) podman(['rm', '-f', '-t', '0', c], { ok: true });
  for (const v of [names.v1, names.v2]) podman(['volume', 'rm', '-f', v], { ok: true });
  podman(['rmi', '-f', tag], { ok: true });
  rmSync(work, { recursive: true, force: true });
}

try {
  let base = process.env.AIDA_TEST_BASE_IMAGE;
  await check('base image (debootstrap bookworm minbase + this machine’s Node 20, cached)', () => {
    if (base) return `given: ${base}`;
    const r = spawnSync('bash', [join(here, 'base-image.sh')], { env: { ...env, PODMAN_ARGS: runtime.join(' ') }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`base-image.sh failed: ${r.stderr.slice(-1500)}`);
    base = r.stdout.trim().split('\n').pop();
    return base;
  });
  if (!base) throw new Error('no base image');

  let buildSeconds = 0;
  await check('podman build of the Dockerfile (--format docker, BASE_IMAGE build arg)', () => {
    const t0 = Date.now();
    const ca = process.env.NODE_EXTRA_CA_CERTS;
    const secret = ca && existsSync(ca) ? ['--secret', `id=npm_ca,src=${ca}`] : [];
    const r = spawnSync(
      'podman',
      [...runtime, 'build', '--format', 'docker', '--network', 'host', '--build-arg', `BASE_IMAGE=${base}`, ...secret, '-t', tag, context],
      {
        env,
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      },
    );
    writeFileSync(join(tmpdir(), 'aida-container-build.log'), `${r.stdout}\n${r.stderr}`);
    if (r.status !== 0) throw new Error(`build failed (log: ${join(tmpdir(), 'aida-container-build.log')}): ${r.stderr.slice(-2500)}`);
    buildSeconds = (Date.now() - t0) / 1000;
    return `${buildSeconds.toFixed(0)} s`;
  });

  await check('the image runs as a non-root user, with /data a volume and a HEALTHCHECK', () => {
    const [cfg] = JSON.parse(podman(['image', 'inspect', tag]).stdout);
    imageSize = `${(cfg.Size / 1e6).toFixed(0)} MB`;
    const uid = podman(['run', '--rm', '--no-healthcheck', '--network', 'host', tag, 'id', '-u']).stdout.trim();
    if (uid === '0' || !/^\d+$/.test(uid)) throw new Error(`runs as uid ${uid}`);
    const config = cfg.Config ?? {};
    if (!config.Volumes || !('/data' in config.Volumes)) throw new Error(`volumes: ${JSON.stringify(config.Volumes)}`);
    // Podman reports it at the top level, Docker under Config.
    const health = JSON.stringify(cfg.Healthcheck ?? cfg.HealthCheck ?? config.Healthcheck ?? null);
    if (!/api\/health/.test(health)) throw new Error(`no HEALTHCHECK on /api/health in the image: ${health}`);
    if (!(config.ExposedPorts ?? {})['8000/tcp']) throw new Error(`exposed: ${JSON.stringify(config.ExposedPorts)}`);
    return `uid ${uid}, user ${config.User}, image size ${imageSize}`;
  });

  const port1 = await freePort();
  await check('/api/health answers 200 within 30 s of the start', async () => {
    podman(['volume', 'create', names.v1]);
    podman([
      'run',
      '-d',
      '--name',
      names.c1,
      '--network',
      'host',
      '-e',
      `PORT=${port1}`,
      '-e',
      `AIDA_ADMIN_EMAIL=${ADMIN.email}`,
      '-e',
      `AIDA_ADMIN_PASSWORD=${ADMIN.password}`,
      '-v',
      `${names.v1}:/data`,
      tag,
    ]);
    timeToHealthy = await healthy(port1, 30_000);
    const hc = podman(['healthcheck', 'run', names.c1], { ok: true });
    if (hc.status !== 0) throw new Error(`the image's HEALTHCHECK failed: ${hc.stdout}${hc.stderr}`);
    return `healthy after ${timeToHealthy.toFixed(1)} s; the image's HEALTHCHECK passes`;
  });

  await check('the host is PID 1 and stops cleanly on SIGTERM; a user created before a restart is there after it', async () => {
    const pid1 = podman(['exec', names.c1, 'cat', '/proc/1/cmdline']).stdout.replace(/\0/g, ' ').trim();
    if (!/node .*aida/.test(pid1)) throw new Error(`PID 1 is ${pid1}`);
    const admin = await signIn(port1, ADMIN.email, ADMIN.password);
    await api(port1, admin, 'POST', '/api/users', { email: KEPT.email, name: 'Kept', role: 'analyst', password: KEPT.password });
    podman(['stop', '-t', '30', names.c1]);
    const exit = podman(['inspect', '--format', '{{.State.ExitCode}}', names.c1]).stdout.trim();
    const logs = podman(['logs', names.c1]).stderr + podman(['logs', names.c1]).stdout;
    if (exit !== '0') throw new Error(`exit code ${exit} after SIGTERM`);
    if (!logs.includes('SIGTERM received: shutting down')) throw new Error('the log does not show the SIGTERM handler');
    podman(['start', names.c1]);
    const again = await healthy(port1, 30_000);
    const kept = await signIn(port1, KEPT.email, KEPT.password);
    const rows = await api(port1, kept, 'POST', '/api/query', { sql: 'SELECT count(*)::INTEGER FROM orders' });
    return `exit code 0 on SIGTERM; healthy again after ${again.toFixed(1)} s; ${KEPT.email} signs in, orders has ${rows.rows[0][0]} rows`;
  });

  const archive = join(work, 'backup.tar');
  await check('aida backup of the live container, restored into a fresh volume, brings back users and tables', async () => {
    // Queries run while the backup is taken.
    const admin = await signIn(port1, ADMIN.email, ADMIN.password);
    let stop = false;
    let answered = 0;
    const load = (async () => {
      while (!stop) {
        await api(port1, admin, 'POST', '/api/query', { sql: 'SELECT status, count(*) FROM orders GROUP BY 1' });
        answered++;
      }
    })();
    const out = await new Promise((resolve, reject) => {
      const child = spawn('podman', [...runtime, 'exec', names.c1, 'aida', 'backup', '--to', '-'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const chunks = [];
      let err = '';
      child.stdout.on('data', (d) => chunks.push(d));
      child.stderr.on('data', (d) => (err += d));
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve({ bytes: Buffer.concat(chunks), err }) : reject(new Error(`aida backup exited ${code}: ${err}`))));
    });
    stop = true;
    await load;
    writeFileSync(archive, out.bytes);
    if (!out.err.includes('from the live host')) throw new Error(`not taken through the live host: ${out.err}`);
    podman(['volume', 'create', names.v2]);
    const restored = podman(['run', '--rm', '-i', '--no-healthcheck', '--network', 'host', '-v', `${names.v2}:/data`, tag, 'aida', 'restore', '--from', '-'], {
      input: readFileSync(archive),
    });
    const port2 = await freePort();
    podman(['run', '-d', '--name', names.c2, '--network', 'host', '-e', `PORT=${port2}`, '-v', `${names.v2}:/data`, tag]);
    await healthy(port2, 30_000);
    const kept = await signIn(port2, KEPT.email, KEPT.password);
    const rows = await api(port2, kept, 'POST', '/api/query', { sql: 'SELECT count(*)::INTEGER FROM orders' });
    if (rows.rows[0][0] !== 2000) throw new Error(`orders has ${rows.rows[0][0]} rows after the restore`);
    const users = podman(['exec', names.c2, 'aida', 'admin', 'list-users'], { ok: true });
    if (users.status === 0 || !users.stderr.includes('AIDA_DATA_DIR_IN_USE')) throw new Error(`list-users on the live container: ${users.stderr}`);
    const said = restored.stderr.split('\n').find((l) => l.startsWith('Restored')) ?? restored.stderr.trim();
    return `${(out.bytes.length / 1e6).toFixed(1)} MB archive while ${answered} queries ran; ${said}`;
  });
} catch (e) {
  results.push({ name: 'setup', ok: false });
  log(`FAIL ${e.message}`);
} finally {
  cleanup();
}

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
log(`image size ${imageSize}; time to healthy ${timeToHealthy.toFixed(1)} s; container test ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
