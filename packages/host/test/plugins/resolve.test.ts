import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin, PLUGIN_MARKER, StartupError } from '@aida/core';
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
      plugins: [
        { package: '@aida/host/local-files', config: { sources: [{ name: 'bad-name', path: '/tmp' }] } },
        { package: '@aida/plugin-missing' },
      ],
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

  it('the placeholder Jira and BigQuery packages say they are not built yet, not that they are missing', async () => {
    for (const pkg of ['@aida/plugin-jira', '@aida/plugin-bigquery']) {
      const e = await problems({ plugins: [{ package: pkg }] });
      expect(e.code).toBe('AIDA_CONFIG_INVALID');
      expect(e.message).toContain(`plugin ${pkg} is installed (0.0.0) but has no code: it is not built yet`);
      expect(e.message).not.toMatch(/npm install/);
    }
  });

  it('accepts a valid config and returns plugins with their validated config', async () => {
    const r = await resolveInstance({ plugins: [{ package: '@aida/host/local-files', config: { sources: [{ name: 'files', path: '/tmp' }] } }] }, [], { cwd });
    expect(r.plugins.map((p) => [p.id, p.packageName])).toEqual([['local-files', '@aida/host/local-files']]);
    expect(r.config.jobs.backend).toBe('duckdb');
  });
});
