import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin, PLUGIN_MARKER, SecretRedactor, StartupError, zDuration, zSecretEnv } from '@aida/core';
import { resolveInstance } from '../../src/plugins/resolve.js';

const cwd = process.cwd();

async function problems(config: unknown, inline: never[] = []): Promise<StartupError> {
  try {
    await resolveInstance(config, inline, { cwd });
  } catch (e) {
    return e as StartupError;
  }
  throw new Error('expected the config to be rejected');
}

describe('instance config and plugin resolution', () => {
  it('a plugin that is not installed names the npm install that fixes it', async () => {
    const e = await problems({ plugins: [{ package: '@aida/plugin-does-not-exist' }] });
    expect(e.code).toBe('AIDA_PLUGIN_NOT_INSTALLED');
    expect(e.message).toContain('npm install @aida/plugin-does-not-exist');
  });

  it('reports every problem at once, each with the plugin and the field', async () => {
    const e = await problems({
      server: { port: 'eighty' },
      plugins: [{ package: '@aida/host/local-files', config: { sources: [{ name: 'bad-name', path: '/tmp' }] } }, { package: '@aida/plugin-missing' }],
    });
    expect(e.code).toBe('AIDA_CONFIG_INVALID');
    expect(e.message).toMatch(/server\.port/);
    expect(e.message).toMatch(/plugins\[0\] \(@aida\/host\/local-files\)\.config\.sources\[0\]\.name: must be a valid identifier/);
    expect(e.message).toMatch(/npm install @aida\/plugin-missing/);
    expect(e.message).toMatch(/3 problems/);
  });

  it('refuses an object that was not made by definePlugin, and a plugin of another API version', async () => {
    const fake = { id: 'x', kind: 'service', config: z.object({}), init() {} };
    const future = { ...definePlugin({ id: 'y', kind: 'service', config: z.object({}), init() {} }), [PLUGIN_MARKER]: { apiVersion: 99 } };
    const e = await problems({}, [fake, future] as never[]);
    expect(e.message).toMatch(/does not export an AIDA plugin/);
    expect(e.message).toMatch(/plugin API v99, but this host supports v1/);
  });

  it('a stub package without code is reported as not a plugin, not as missing', async () => {
    const e = await problems({ plugins: [{ package: '@aida/plugin-keboola' }] });
    expect(e.message).toMatch(/@aida\/plugin-keboola/);
    expect(e.message).not.toMatch(/npm install/);
  });

  it('a placeholder package (no entry point yet) says it is not built yet, not that it is missing', async () => {
    // A folder of its own with a placeholder package installed, as a release that is not built yet would be.
    const dir = await mkdtemp(join(tmpdir(), 'aida-placeholder-'));
    try {
      const pkg = join(dir, 'node_modules', '@aida', 'plugin-future');
      await mkdir(pkg, { recursive: true });
      await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: '@aida/plugin-future', version: '0.0.0', private: true, aida: { plugin: true } }));
      let e: StartupError | undefined;
      try {
        await resolveInstance({ plugins: [{ package: '@aida/plugin-future' }] }, [], { cwd: dir });
      } catch (err) {
        e = err as StartupError;
      }
      expect(e?.code).toBe('AIDA_CONFIG_INVALID');
      expect(e?.message).toContain('plugin @aida/plugin-future is installed (0.0.0) but has no code: it is not built yet');
      expect(e?.message).not.toMatch(/npm install/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an unset secret variable is reported at boot with every other problem, and a set one resolves to its value', async () => {
    const plugin = definePlugin({
      id: 'secretive',
      kind: 'service',
      config: z.strictObject({ token_env: zSecretEnv({ holds: 'the service token' }), poll: zDuration().prefault('1m') }),
      init() {},
    });
    let e: StartupError | undefined;
    try {
      await resolveInstance({ server: { port: 'eighty' }, query: { timeout: 'soon' } }, [{ plugin, config: { token_env: 'SECRETIVE_TOKEN', poll: 'often' } }], {
        cwd,
        env: {},
      });
    } catch (err) {
      e = err as StartupError;
    }
    expect(e?.code).toBe('AIDA_CONFIG_INVALID');
    expect(e?.message).toMatch(/4 problems/);
    expect(e?.message).toContain('server.port: Invalid input');
    expect(e?.message).toContain('query.timeout: must be a duration such as 500ms, 30s, 5m, 1h or 1d');
    expect(e?.message).toContain(
      'plugins option [0] (secretive).config.token_env: environment variable SECRETIVE_TOKEN is not set (it must hold the service token)',
    );
    expect(e?.message).toContain('plugins option [0] (secretive).config.poll: must be a duration');

    const secrets = new SecretRedactor();
    const r = await resolveInstance({}, [{ plugin, config: { token_env: 'SECRETIVE_TOKEN' } }], { cwd, env: { SECRETIVE_TOKEN: 'svc-token-123456' }, secrets });
    expect(r.plugins[0]?.config).toEqual({ token_env: 'svc-token-123456', poll: 60_000 });
    expect(secrets.redact('sent svc-token-123456')).toBe('sent [redacted]');
  });

  it('accepts a valid config and returns plugins with their validated config', async () => {
    const r = await resolveInstance({ plugins: [{ package: '@aida/host/local-files', config: { sources: [{ name: 'files', path: '/tmp' }] } }] }, [], { cwd });
    expect(r.plugins.map((p) => [p.id, p.packageName])).toEqual([['local-files', '@aida/host/local-files']]);
    expect(r.config.jobs.backend).toBe('duckdb');
  });

  it('fills every section from the defaults of its fields, with durations and sizes in milliseconds and bytes', async () => {
    const { config } = await resolveInstance({ auth: { signin_limit: { per_ip: 5 } }, server: { json_body_limit: '2MB' } }, [], { cwd });
    expect(config.auth).toEqual({ session_lifetime: 86_400_000, signin_limit: { per_account: 10, per_ip: 5, window: 60_000 } });
    expect(config.server).toMatchObject({ host: '0.0.0.0', json_body_limit: 2_000_000, slow_request_ms: 2000 });
    expect(config.query).toMatchObject({ timeout: 30_000, queue_wait: 5_000, stall_timeout: 60_000 });
    expect(config.jobs).toMatchObject({ process_every: 5_000, stop_timeout: 10_000 });
    expect((await resolveInstance({}, [], { cwd })).config.server.json_body_limit).toBe(1_048_576);
  });
});
