import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type AuthenticatedFetch, type TestHost } from '@aida/host/testing';
import { ScriptSandbox } from '../../src/scripts/sandbox.js';
import { locateSandbox } from '../../src/scripts/launch.js';
import { ScriptsSandboxUnavailableError } from '../../src/errors.js';

let t: TestHost;
let admin: AuthenticatedFetch;
beforeAll(async () => {
  t = await startTestHost();
  admin = await t.asAdmin();
});
afterAll(() => t?.stop());

describe('scripts when they are off (the default)', () => {
  it('answer 404 saying how to turn them on, on every route', async () => {
    for (const [method, path] of [
      ['GET', '/api/scripts'],
      ['POST', '/api/scripts/deploy'],
      ['POST', '/api/scripts/run'],
      ['POST', '/api/scripts/some-id/run'],
      ['DELETE', '/api/scripts/some-id'],
    ] as const) {
      const body = path === '/api/scripts/deploy' ? { name: 'n', source: 'export default () => null' } : { source: 'export default () => null' };
      const res = await admin(path, { method, ...(method === 'POST' && !path.endsWith('id/run') ? { body: JSON.stringify(body) } : {}) });
      expect(res.status, `${method} ${path}`).toBe(404);
      const answer = await res.json();
      expect(answer.code).toBe('AIDA_SCRIPTS_DISABLED');
      expect(answer.message).toMatch(/scripts\.enabled: true.*instance\.yaml/);
    }
    expect(t.host.jobs!.defined().map((j) => j.name)).not.toContain('aida:script');
  });
});

describe('the sandbox that cannot start', () => {
  it('is a startup error, never a fallback to running scripts without the isolate', async () => {
    const files = locateSandbox();
    const broken = new ScriptSandbox(
      { ...files, ivm: '/nonexistent/isolated-vm.js' },
      { timeoutMs: 1000, memoryBytes: 16 << 20, maxOutputBytes: 1024, maxQueries: 1 },
    );
    const err = await broken.probe().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ScriptsSandboxUnavailableError);
    expect((err as Error).message).toMatch(/sandbox does not start/);
  });
});
