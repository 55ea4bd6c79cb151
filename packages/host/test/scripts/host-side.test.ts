// The host's own limits on a child, whatever the child does: children that misbehave (as a
// child whose isolate was broken out of might) are killed by the host, which stays up.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateSandbox } from '../../src/scripts/launch.js';
import { ScriptSandbox } from '../../src/scripts/sandbox.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aida-rogue-child-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const LIMITS = { timeoutMs: 500, memoryBytes: 16 << 20, maxOutputBytes: 1024, maxQueries: 1 };
const noQueries = () => Promise.reject(new Error('no queries here'));

/** A sandbox whose child is `code` (an ES module) instead of the real one. */
async function rogue(name: string, code: string): Promise<ScriptSandbox> {
  const child = join(dir, `${name}.mjs`);
  await writeFile(child, code);
  return new ScriptSandbox({ child, ivm: locateSandbox().ivm }, LIMITS);
}

describe('the host side of the sandbox', () => {
  it('kills a child that never answers once the time limit and its grace have passed', async () => {
    const sb = await rogue('hang', "process.stdout.write(JSON.stringify({ t: 'ready' }) + '\\n'); setInterval(() => {}, 1000);");
    const started = Date.now();
    const r = await sb.run('export default () => null', {}, noQueries);
    expect(r).toMatchObject({ status: 'timeout', message: expect.stringMatching(/process was killed/) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it('kills a child that sends more than the output cap allows, before holding it all', async () => {
    const sb = await rogue('flood', "const s = 'x'.repeat(1 << 20); const go = () => process.stdout.write(s, go); go();");
    const r = await sb.run('export default () => null', {}, noQueries);
    expect(r).toMatchObject({ status: 'output_too_large', message: expect.stringMatching(/process was killed/) });
  });

  it('reports a child that dies, with what it said on stderr', async () => {
    const sb = await rogue('crash', "process.stderr.write('something broke\\n'); process.exit(3);");
    const r = await sb.run('export default () => null', {}, noQueries);
    expect(r).toMatchObject({ status: 'error', message: expect.stringMatching(/ended unexpectedly \(exit code 3: something broke\)/) });
  });

  it('reports a child that runs out of its own heap as a memory failure', async () => {
    const sb = await rogue('oom', 'const a = []; for (;;) a.push(new Array(1e6).fill(0));');
    const r = await sb.run('export default () => null', {}, noQueries);
    expect(r.status).toBe('memory');
  });
});
