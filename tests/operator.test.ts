import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { cliPath, freePort, spawnNode, waitFor, type Spawned } from './helpers.js';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'aida-operator-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Starts `aida serve` and waits until /api/health answers. */
async function serve(env: Record<string, string>, cwd = dir): Promise<{ run: Spawned; base: string }> {
  const port = await freePort();
  const run = spawnNode([cliPath, 'serve'], { cwd, env: { PORT: String(port), ...env } });
  onTestFinished(() => {
    run.child.kill('SIGKILL');
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/api/health`)).status < 500, 45_000, `the host on ${base} (output: ${run.output().slice(-800)})`);
  return { run, base };
}

async function stop(run: Spawned): Promise<void> {
  run.child.kill('SIGTERM');
  expect((await run.exited).code).toBe(0);
}

async function signIn(base: string, email: string, password: string): Promise<number> {
  const res = await fetch(`${base}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  return res.status;
}

function resetPassword(args: string[], env: Record<string, string> = {}, input?: string) {
  const r = spawnSync(process.execPath, [cliPath, 'admin', 'reset-password', ...args], { cwd: dir, env: { ...process.env, ...env }, input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the demo admin and its recovery', () => {
  it('prints the one-time password as a plain line, and aida admin reset-password recovers a lost one', async () => {
    const dataDir = join(dir, 'data');
    const first = await serve({ AIDA_DATA_DIR: dataDir });
    const banner = await waitFor(() => /Sign in as (\S+) with password (\S+)/.exec(first.run.output()), 10_000, 'the demo banner');
    const [, email, password] = banner;
    expect(email).toBe('admin@example.com');
    expect(first.run.output()).toContain('npx aida admin reset-password admin@example.com');
    // The banner line is plain text, not a JSON log line.
    const line = first.run
      .output()
      .split('\n')
      .find((l) => l.includes('Sign in as'))!;
    expect(line.trim().startsWith('{')).toBe(false);
    expect(await signIn(first.base, email!, password!)).toBe(200);

    // While the host runs, the data dir is held: the command refuses with a clear message.
    const busy = resetPassword(['admin@example.com', '--data-dir', dataDir]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain('AIDA_DATA_DIR_IN_USE');
    await stop(first.run);

    const unknown = resetPassword(['nobody@example.com', '--data-dir', dataDir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No user with email nobody@example.com; the admins are: admin@example.com');
    const short = resetPassword(['admin@example.com', '--password-stdin'], { AIDA_DATA_DIR: dataDir }, 'short\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('Password must be at least 8 characters long');
    const reset = resetPassword(['admin@example.com'], { AIDA_DATA_DIR: dataDir });
    expect(reset.code).toBe(0);
    const fresh = reset.stdout.trim();
    expect(fresh.length).toBeGreaterThanOrEqual(12);
    expect(reset.stderr).toContain('The password of admin@example.com (admin) is reset');
    const chosen = resetPassword(['admin@example.com', '--password-stdin', '--data-dir', dataDir], {}, 'chosen-password-9\n');
    expect([chosen.code, chosen.stdout]).toEqual([0, '']);

    // A second start shows no banner; the chosen password works, the old ones do not.
    const second = await serve({ AIDA_DATA_DIR: dataDir, AIDA_ADMIN_EMAIL: 'admin@example.com', AIDA_ADMIN_PASSWORD: 'env-password-123' });
    expect(await signIn(second.base, 'admin@example.com', 'chosen-password-9')).toBe(200);
    expect(await signIn(second.base, 'admin@example.com', password!)).toBe(401);
    expect(await signIn(second.base, 'admin@example.com', fresh)).toBe(401);
    expect(second.run.output()).not.toContain('Sign in as');
    // The env pair names an existing account: it says it changed nothing and how to reset.
    expect(await signIn(second.base, 'admin@example.com', 'env-password-123')).toBe(401);
    expect(second.run.output()).toMatch(
      /AIDA_ADMIN_PASSWORD only creates a missing admin and changed nothing\. To set its password: aida admin reset-password admin@example\.com/,
    );
    await stop(second.run);
  });

  it('reset-password on a folder without an instance says so', () => {
    const r = resetPassword(['a@example.com', '--data-dir', join(dir, 'nothing')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No AIDA instance in');
  });
});

describe('logs', () => {
  it('off a terminal every line is one JSON object with each key once; AIDA_LOG_FORMAT=pretty prints readable lines', async () => {
    const json = await serve({ AIDA_DATA_DIR: join(dir, 'a') });
    await stop(json.run);
    const lines = json.run
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(lines.length).toBeGreaterThan(3);
    for (const l of lines) {
      expect(() => JSON.parse(l)).not.toThrow();
      const keys = [...l.matchAll(/"([a-z_]+)":/g)].map((m) => m[1]);
      // Only top-level keys can repeat harmfully; a duplicated binding shows up as the same key twice at the start.
      expect(keys.filter((k) => k === 'component').length, l).toBeLessThanOrEqual(1);
    }
    expect(lines.some((l) => l.includes('"component":"jobs"'))).toBe(true);

    const pretty = await serve({ AIDA_DATA_DIR: join(dir, 'b'), AIDA_LOG_FORMAT: 'pretty' });
    await stop(pretty.run);
    const out = pretty.run.output();
    expect(out).toMatch(/INFO.*AIDA host started/);
    expect(out.split('\n').filter((l) => l.startsWith('{"level"'))).toEqual([]);

    const bad = spawnNode([cliPath, 'serve'], { cwd: dir, env: { AIDA_DATA_DIR: join(dir, 'c'), AIDA_LOG_FORMAT: 'xml', PORT: String(await freePort()) } });
    expect((await bad.exited).code).toBe(1);
    expect(bad.output()).toContain('AIDA_LOG_FORMAT must be auto, json or pretty, got "xml"');
  });
});

describe('a source folder that does not exist', () => {
  it('is warned about at boot and makes health degraded, naming the folder', async () => {
    await mkdir(join(dir, 'config'));
    await writeFile(
      join(dir, 'config', 'instance.yaml'),
      ['plugins:', '  - package: "@aida/host/local-files"', '    config:', '      sources:', '        - name: files', '          path: ./files', ''].join('\n'),
    );
    const { run, base } = await serve({ AIDA_DATA_DIR: join(dir, 'data') });
    const health = (await (await fetch(`${base}/api/health`)).json()) as { status: string; services: Record<string, { status: string; detail?: string }> };
    expect(health.status).toBe('degraded');
    expect(health.services['connector:files']).toMatchObject({ status: 'degraded' });
    expect(health.services['connector:files']!.detail).toContain(`folder ${join(dir, 'files')} of source 'files' does not exist`);
    expect(run.output()).toMatch(/connector:files is degraded: folder .* does not exist/);
    await mkdir(join(dir, 'files'));
    const after = (await (await fetch(`${base}/api/health`)).json()) as { status: string };
    expect(after.status).toBe('healthy');
    await stop(run);
  });
});

describe('aida plugins', () => {
  it('lists installed plugin packages, which ones the config names, placeholders and missing ones', async () => {
    const pkg = async (name: string, manifest: Record<string, unknown>) => {
      await mkdir(join(dir, 'node_modules', name), { recursive: true });
      await writeFile(join(dir, 'node_modules', name, 'package.json'), JSON.stringify({ name, version: '1.2.3', ...manifest }));
    };
    await pkg('@acme/plugin-crm', { main: 'index.js', aida: { plugin: true } });
    await pkg('@acme/plugin-stub', { aida: { plugin: true } });
    await pkg('left-pad', { main: 'index.js' });
    await mkdir(join(dir, 'config'));
    await writeFile(join(dir, 'config', 'instance.yaml'), 'plugins:\n  - package: "@acme/plugin-crm"\n  - package: "@acme/plugin-gone"\n');
    const r = spawnSync(process.execPath, [cliPath, 'plugins', '--json'], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const { plugins } = JSON.parse(r.stdout) as { plugins: { package: string; version: string | null; in_config: boolean; state: string }[] };
    expect(plugins).toEqual([
      { package: '@aida/host/local-files', version: expect.any(String), in_config: false, state: 'built-in' },
      { package: '@acme/plugin-crm', version: '1.2.3', in_config: true, state: 'installed' },
      { package: '@acme/plugin-stub', version: '1.2.3', in_config: false, state: 'placeholder' },
      { package: '@acme/plugin-gone', version: null, in_config: true, state: 'not-installed' },
    ]);
    const text = spawnSync(process.execPath, [cliPath, 'plugins'], { cwd: dir, encoding: 'utf8' });
    expect(text.stdout).toMatch(/@acme\/plugin-gone\s+-\s+yes\s+NOT INSTALLED: npm install @acme\/plugin-gone/);
  });
});
