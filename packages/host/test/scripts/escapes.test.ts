// Each way out of the sandbox a script may try is stopped and reported as the run's status,
// and the host answers /api/health while the runaway runs and after it.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childArgs, locateSandbox } from '../../src/scripts/launch.js';
import { post, scriptHost, type ScriptHost } from './helpers.js';

let h: ScriptHost;
beforeAll(async () => {
  h = await scriptHost();
});
afterAll(() => h?.t.stop());

async function health(): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  const res = await h.t.request('/api/health');
  await res.arrayBuffer();
  return { status: res.status, ms: Date.now() - started };
}

/** Runs `source` ad hoc while asking /api/health every 300 ms; returns the result and what health said during and after. */
async function runWatched(source: string): Promise<{ result: any; during: { status: number; ms: number }[]; after: number }> {
  let finished = false;
  const run = post(h.admin, '/api/scripts/run', { source }).finally(() => {
    finished = true;
  });
  const during: { status: number; ms: number }[] = [];
  while (!finished) {
    during.push(await health());
    await new Promise((r) => setTimeout(r, 300));
  }
  const { status, json } = await run;
  expect(status).toBe(200);
  return { result: json, during, after: (await health()).status };
}

function expectHealthy(w: { during: { status: number; ms: number }[]; after: number }) {
  expect(w.during.length).toBeGreaterThan(0);
  for (const d of w.during) {
    expect(d.status).toBe(200);
    expect(d.ms).toBeLessThan(1500);
  }
  expect(w.after).toBe(200);
}

const escapes: [string, string, RegExp][] = [
  ["require('fs')", "export default () => ({ message: require('fs').readFileSync('/etc/passwd', 'utf8') })", /require is not defined/],
  [
    "import('fs')",
    "export default async () => { const fs = await import('fs'); return { message: fs.readFileSync('/etc/passwd', 'utf8') }; }",
    /Not supported/,
  ],
  ['process.binding', "export default () => { process.binding('fs'); }", /process is not defined/],
  [
    'globalThis.process',
    "export default () => ({ message: globalThis.process.mainModule.require('fs').readFileSync('/etc/passwd', 'utf8') })",
    /reading 'mainModule'/,
  ],
  ['the Function constructor', "export default () => ({ message: (function () {}).constructor('return process')().pid })", /process is not defined/],
  ['fetch', "export default async () => ({ message: await (await fetch('HOST/api/health')).text() })", /fetch is not defined/],
  ["require('net')", "export default () => { require('net').connect(PORT, '127.0.0.1'); }", /require is not defined/],
  ['WebSocket', "export default () => { new WebSocket('ws://127.0.0.1:PORT/ws'); }", /WebSocket is not defined/],
  ["require('child_process')", "export default () => ({ message: require('child_process').execSync('id').toString() })", /require is not defined/],
  ['a timer', 'export default () => new Promise((r) => setTimeout(r, 10))', /setTimeout is not defined/],
];

describe('the script sandbox', () => {
  it.each(escapes)('stops %s: the script finds no Node API and the run is an error', async (_name, source, message) => {
    const port = new URL(h.t.url).port;
    const w = await runWatched(source.replace('HOST', h.t.url).replace('PORT', port));
    expect(w.result).toMatchObject({ status: 'error', queries: 0 });
    expect(w.result.message).toMatch(message);
    expect(JSON.stringify(w.result)).not.toMatch(/root:x:0/);
    expectHealthy(w);
  });

  it('shows a script an empty world: no process, require, fetch, timers or Buffer', async () => {
    const source = `export default () => ({ message: ['process', 'require', 'module', 'fetch', 'WebSocket', 'setTimeout', 'setInterval', 'queueMicrotask', 'Buffer', 'XMLHttpRequest', '$query', '$log', '$run']
      .filter((n) => typeof globalThis[n] !== 'undefined').join(',') || 'none' })`;
    expect((await post(h.admin, '/api/scripts/run', { source })).json).toMatchObject({
      status: 'ok',
      message: expect.stringMatching(/^(none|queueMicrotask)$/),
    });
  });

  it.each([
    ['array growth', 'export default () => { const a = []; for (;;) a.push(new Array(100000).fill(1.5)); }'],
    ['ArrayBuffers', 'export default () => { const a = []; for (;;) a.push(new ArrayBuffer(8 * 1024 * 1024)); }'],
  ])('stops unbounded allocation (%s) at the memory limit', async (_name, source) => {
    const w = await runWatched(source);
    expect(w.result).toMatchObject({ status: 'memory', message: expect.stringMatching(/more than 32 MiB/) });
    expectHealthy(w);
  });

  it.each([
    ['while (true) {}', 'export default () => { while (true) {} }'],
    ['a loop at the top of the module', 'for (;;) {}\nexport default () => null;'],
    ['an infinite async loop', 'export default async () => { for (;;) await null; }'],
    ['a promise that never settles', 'export default () => new Promise(() => {})'],
  ])('stops %s at the time limit', async (_name, source) => {
    const w = await runWatched(source);
    expect(w.result).toMatchObject({ status: 'timeout', message: expect.stringMatching(/longer than 2000 ms/) });
    expect(w.result.duration_ms).toBeGreaterThanOrEqual(2000);
    expect(w.result.duration_ms).toBeLessThan(6000);
    expectHealthy(w);
  });

  it('stops an endless promise chain (by time or by memory, whichever it reaches first)', async () => {
    const w = await runWatched('export default async () => { const spin = () => Promise.resolve().then(spin); spin(); await new Promise(() => {}); }');
    expect(['timeout', 'memory']).toContain(w.result.status);
    expectHealthy(w);
  });

  it.each([
    ['endless logging', "export default () => { for (;;) console.log('x'.repeat(1000)); }"],
    ['a huge message', "export default () => ({ message: 'x'.repeat(5_000_000) })"],
  ])('stops %s at the output cap', async (_name, source) => {
    const w = await runWatched(source);
    expect(w.result).toMatchObject({ status: 'output_too_large', message: expect.stringMatching(/exceeded 16384 bytes/) });
    expect(JSON.stringify(w.result).length).toBeLessThan(40_000);
    expectHealthy(w);
  });

  it('runs its child under the permission model: no reads outside its files, no writes, no processes, no workers, no environment', () => {
    const files = locateSandbox();
    const flags = childArgs(files, 32).slice(0, -2);
    const attempt = (code: string) => spawnSync(process.execPath, [...flags, '-e', code], { env: {}, encoding: 'utf8' });
    const tries = {
      read: "require('fs').readFileSync('/etc/passwd')",
      write: "require('fs').writeFileSync(require('os').tmpdir() + '/aida-escape', 'x')",
      spawn: "require('child_process').execSync('id')",
      worker: "new (require('worker_threads').Worker)('1', { eval: true })",
    };
    for (const [name, code] of Object.entries(tries)) {
      const r = attempt(code);
      expect(r.status, `${name}: ${r.stderr}`).not.toBe(0);
      expect(r.stderr, name).toMatch(/ERR_ACCESS_DENIED/);
    }
    // What the child must read is readable: isolated-vm loads.
    const ok = attempt(`require(${JSON.stringify(files.ivm)}); console.log(Object.keys(process.env).length)`);
    expect(ok.stderr).toBe('');
    expect(ok.stdout.trim()).toBe('0');
  });
});
