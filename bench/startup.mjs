// (c) Time from process start to the first 200 from /api/health with the demo already
// extracted, and resident memory after start. Baseline: a bare Node HTTP server started the
// same way (the floor of what any Node service can do on this machine).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, report, withTempDir } from './lib.mjs';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const cli = join(root, 'packages', 'host', 'dist', 'cli.js');

const freePort = () =>
  new Promise((r) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => r(p));
    });
  });

async function startOnce(args, env, cwd) {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env, PORT: String(port), AIDA_LOG_LEVEL: 'warn' }, stdio: 'ignore' });
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health`);
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const ms = performance.now() - t0;
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { ms, rssMb: rssKb / 1024 };
}

export async function benchStartup({ runs = 5 } = {}) {
  await withTempDir('aida-bench-start-', async (dir) => {
    const env = { AIDA_DATA_DIR: join(dir, 'data') };
    await startOnce([cli, 'serve'], env, dir); // first start extracts the demo
    const aida = [];
    for (let i = 0; i < runs; i++) aida.push(await startOnce([cli, 'serve'], env, dir));
    const bare = [];
    const script = `require('http').createServer((q,s)=>{s.end('{}')}).listen(process.env.PORT,'127.0.0.1')`;
    for (let i = 0; i < runs; i++) bare.push(await startOnce(['-e', script], {}, dir));
    const ms = median(aida.map((r) => r.ms));
    report('(c) process start to first 200 from /api/health (demo already extracted)', ms, 'ms', {
      baseline: median(bare.map((r) => r.ms)),
      baselineName: 'bare Node http server',
      target: '< 1000 ms (reference: 1100 ms)',
      pass: ms < 1000,
    });
    report('(c) resident memory after start', median(aida.map((r) => r.rssMb)), 'MB', {
      baseline: median(bare.map((r) => r.rssMb)),
      baselineName: 'bare Node http server',
    });
  });
}
