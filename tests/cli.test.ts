import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { queryRows } from '@aida/core';
import { DEMO_TABLES } from '@aida/host';
import { adminHeaders, cliPath, freePort, repoRoot, spawnNode, TEST_ADMIN, waitFor } from './helpers.js';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'aida-cli-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('aida serve', () => {
  it('without a config runs the demo on AIDA_DATA_DIR and PORT, stops on SIGTERM, and leaves one view per demo table', async () => {
    const port = await freePort();
    const dataDir = join(dir, 'x');
    const run = spawnNode([cliPath, 'serve'], { cwd: dir, env: { AIDA_DATA_DIR: dataDir, PORT: String(port), ...TEST_ADMIN } });
    onTestFinished(() => {
      run.child.kill('SIGKILL');
    });
    const health = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/api/health`);
        return res.status === 200 ? ((await res.json()) as { plugins: { id: string }[]; status: string; schema_version: number }) : undefined;
      },
      45_000,
      `GET /api/health 200 (output so far: ${run.output().slice(-500)})`,
    );
    expect(health.plugins.map((p) => p.id)).toEqual(['local-files']);
    expect(health.schema_version).toBeGreaterThan(0);
    const anonymous = await fetch(`http://127.0.0.1:${port}/`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get('location')).toMatch(/^\/login/);
    const home = await (await fetch(`http://127.0.0.1:${port}/`, { headers: await adminHeaders(`http://127.0.0.1:${port}`) })).text();
    for (const t of Object.keys(DEMO_TABLES)) expect(home).toContain(t);
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
    const db = await DuckDBInstance.create(join(dataDir, 'analytics', 'server.duckdb'), { access_mode: 'READ_ONLY' });
    const conn = await db.connect();
    const views = await queryRows<{ view_name: string }>(conn, `SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1`);
    expect(views.map((v) => v.view_name)).toEqual(Object.keys(DEMO_TABLES).sort());
    for (const [table, rows] of Object.entries(DEMO_TABLES)) {
      expect(await queryRows(conn, `SELECT count(*) AS n FROM ${table}`)).toEqual([{ n: rows }]);
    }
    conn.closeSync();
    db.closeSync();
  });

  it('a config naming a plugin that is not installed fails boot, naming the plugin and the npm install', async () => {
    await mkdir(join(dir, 'config'));
    await writeFile(join(dir, 'config', 'instance.yaml'), 'plugins:\n  - package: "@aida/plugin-not-there"\n');
    const run = spawnNode([cliPath, 'serve'], { cwd: dir, env: { AIDA_DATA_DIR: join(dir, 'data'), PORT: String(await freePort()) } });
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    expect(run.output()).toContain('AIDA_PLUGIN_NOT_INSTALLED');
    expect(run.output()).toContain('npm install @aida/plugin-not-there');
  });

  it('a config with invalid fields fails boot, naming every plugin and field (AIDA_CONFIG picks the file)', async () => {
    const file = join(dir, 'elsewhere.yaml');
    await writeFile(
      file,
      [
        'server:',
        '  port: "http"',
        'plugins:',
        '  - package: "@aida/host/local-files"',
        '    config:',
        '      sources:',
        '        - name: "not valid!"',
        '          path: ${FILES_DIR_THAT_IS_UNSET}',
      ].join('\n'),
    );
    const run = spawnNode([cliPath, 'serve'], { cwd: repoRoot, env: { AIDA_CONFIG: file, AIDA_DATA_DIR: join(dir, 'data'), PORT: String(await freePort()) } });
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    const out = run.output();
    expect(out).toContain('AIDA_CONFIG_INVALID');
    expect(out).toMatch(/plugins\[0\] \(@aida\/host\/local-files\)\.config\.sources\[0\]\.name/);
    expect(out).toMatch(/server\.port/);
    expect(out).toMatch(/FILES_DIR_THAT_IS_UNSET is not set/);
  });

  it('the example instance boots from its own config with one command', async () => {
    const port = await freePort();
    const instance = join(repoRoot, 'examples', 'instance');
    const run = spawnNode([cliPath, 'serve'], {
      cwd: instance,
      env: { AIDA_DATA_DIR: join(dir, 'data'), PORT: String(port), AIDA_FILES_DIR: join(dir, 'files'), ...TEST_ADMIN },
    });
    try {
      const health = await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/api/health`);
          return res.status === 200 ? ((await res.json()) as { plugins: { id: string }[] }) : undefined;
        },
        45_000,
        `example instance health (output: ${run.output().slice(-500)})`,
      );
      expect(health.plugins.map((p) => p.id)).toEqual(['local-files']);
      const home = await (await fetch(`http://127.0.0.1:${port}/`, { headers: await adminHeaders(`http://127.0.0.1:${port}`) })).text();
      expect(home).toContain('Example Analytics');
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });
});

describe('one host per data directory', () => {
  it('a second host on the same data dir fails boot with a clear message', async () => {
    const dataDir = join(dir, 'shared');
    const first = spawnNode([cliPath, 'serve'], { cwd: dir, env: { AIDA_DATA_DIR: dataDir, PORT: String(await freePort()) } });
    onTestFinished(() => {
      first.child.kill('SIGKILL');
    });
    await waitFor(() => first.output().includes('listening on'), 45_000, 'the first host');
    const second = spawnNode([cliPath, 'serve'], { cwd: dir, env: { AIDA_DATA_DIR: dataDir, PORT: String(await freePort()) } });
    const { code } = await second.exited;
    expect(code).not.toBe(0);
    expect(second.output()).toContain('AIDA_DATA_DIR_IN_USE');
    expect(second.output()).toMatch(/only one AIDA host may use a data directory/);
  });
});
