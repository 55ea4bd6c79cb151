/**
 * The operator commands as an operator runs them: the real `aida` binary (the built dist) in
 * child processes, against a demo instance served by another `aida serve` process.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { aida, aidaBytes, aidaServe, freePort, query, signIn, tempRoot, waitFor } from './helpers.js';

const OPS = { AIDA_ADMIN_EMAIL: 'ops@example.com', AIDA_ADMIN_PASSWORD: 'correct-horse-1' };
let root: { dir: string; cleanup: () => Promise<void> };
beforeEach(async () => (root = await tempRoot('aida-bin-')));
afterEach(() => root.cleanup());

async function serve(dataDir: string, env: Record<string, string> = {}) {
  const port = await freePort();
  const run = aidaServe({ AIDA_DATA_DIR: dataDir, PORT: String(port), ...env }, root.dir);
  onTestFinished(() => {
    run.child.kill('SIGKILL');
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/api/health`)).status === 200, 60_000, `aida serve on ${base} (${run.output().slice(-600)})`);
  return { ...run, base };
}

describe('the aida binary', () => {
  it('refuses operator commands on a live data dir, backs it up while it serves queries, and the restore serves again', async () => {
    const live = join(root.dir, 'live');
    const host = await serve(live, OPS);
    const pid = host.child.pid!;
    const { token } = await signIn(host.base, OPS.AIDA_ADMIN_EMAIL, OPS.AIDA_ADMIN_PASSWORD);

    for (const args of [
      ['admin', 'create-user', 'x@example.com', '--role', 'viewer'],
      ['admin', 'reset-password', 'ops@example.com'],
      ['admin', 'list-users'],
      ['migrate'],
      ['restore', '--from', join(root.dir, 'none.tar'), '--force'],
    ]) {
      const r = await aida([...args, '--data-dir', live]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toContain(`AIDA_DATA_DIR_IN_USE: A live AIDA host (PID ${pid}, version`);
    }

    // Backups while queries run, to a file and to standard output.
    let stop = false;
    let answered = 0;
    const load = (async () => {
      while (!stop) {
        await query(host.base, token!, 'SELECT status, count(*) FROM orders GROUP BY 1');
        answered++;
      }
    })();
    const file = join(root.dir, 'live.tar.gz');
    const toFile = await aida(['backup', '--to', file, '--data-dir', live]);
    expect(toFile.code, toFile.stderr).toBe(0);
    expect(toFile.stderr).toMatch(/^Backed up .*live \(from the live host, schema version \d+\) to .*live\.tar\.gz: \d+ files, [\d.]+ MB\.$/m);
    const toStdout = await aidaBytes(['backup', '--to', '-', '--data-dir', live]);
    expect(toStdout.code, toStdout.stderr).toBe(0);
    expect(toStdout.stdout.subarray(0, 512).toString('latin1')).toContain('aida-backup.json');
    stop = true;
    await load;
    expect(answered).toBeGreaterThan(0);

    host.child.kill('SIGTERM');
    expect(await host.exited).toBe(0);
    expect(existsSync(join(live, 'run', 'control.sock'))).toBe(false);

    const fresh = join(root.dir, 'fresh');
    const restored = await aida(['restore', '--from', file, '--data-dir', fresh]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stderr).toMatch(/Restored the backup of .* files verified, 1 user, 4 tables in 1 source\./);
    expect((await aida(['migrate', '--data-dir', fresh])).stderr).toMatch(/is at schema version \d+: nothing to migrate/);

    const listed = await aida(['admin', 'list-users', '--json', '--data-dir', fresh]);
    expect(JSON.parse(listed.stdout).users.map((u: { email: string }) => u.email)).toEqual(['ops@example.com']);
    const created = await aida(['admin', 'create-user', 'ana@example.com', '--role', 'analyst', '--password-stdin', '--data-dir', fresh], {
      input: 'ana-password-1\n',
    });
    expect([created.code, created.stdout, created.stderr]).toEqual([0, '', 'Created ana@example.com (analyst).\n']);
    const invited = await aida(['admin', 'create-user', 'bo@example.com', '--role', 'viewer', '--base-url', 'https://aida.example.org', '--data-dir', fresh]);
    expect(invited.code, invited.stderr).toBe(0);
    expect(invited.stdout).toMatch(/^https:\/\/aida\.example\.org\/login\/setup\?email=bo%40example\.com&token=\S+\n$/);
    const link = await aida(['admin', 'reset-password', 'ops@example.com', '--link', '--data-dir', fresh], { env: { PORT: '8123' } });
    expect(link.stdout).toMatch(/^http:\/\/localhost:8123\/login\/setup\?email=ops%40example\.com&token=\S+\n$/);
    expect(link.stderr).toContain('the old password works until it is used');

    const again = await serve(fresh);
    expect(again.output()).not.toContain('Sign in as');
    const ops = await signIn(again.base, OPS.AIDA_ADMIN_EMAIL, OPS.AIDA_ADMIN_PASSWORD);
    expect(ops.status).toBe(200);
    const ana = await signIn(again.base, 'ana@example.com', 'ana-password-1');
    expect(ana.status).toBe(200);
    expect(await query(again.base, ana.token!, 'SELECT count(*)::INTEGER FROM orders')).toEqual([[2000]]);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);

    // The archive written to standard output is as good: restored from standard input.
    const piped = join(root.dir, 'piped');
    const fromStdin = await aidaBytes(['restore', '--from', '-', '--data-dir', piped], toStdout.stdout);
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    expect((await aida(['admin', 'list-users', '--data-dir', piped])).stdout).toMatch(/^ops@example\.com\s+admin\s+active\s+yes/m);
  }, 300_000);
});

describe('aida config check', () => {
  it('exits 0 on a valid config and 1 with the boot messages on an invalid one', async () => {
    await mkdir(join(root.dir, 'config'));
    const path = join(root.dir, 'config', 'instance.yaml');
    await writeFile(
      path,
      'instance:\n  name: Acme\nplugins:\n  - package: "@aida/host/local-files"\n    config:\n      sources:\n        - { name: files, path: ./files }\n',
    );
    const ok = await aida(['config', 'check'], { cwd: root.dir });
    expect([ok.code, ok.stdout]).toEqual([0, `${path} is valid: 1 plugin (local-files), data in ${join(root.dir, 'data')}, jobs on duckdb.\n`]);
    await writeFile(join(root.dir, 'bad.yaml'), 'server:\n  port: eighty\nplugins:\n  - package: "@aida/plugin-not-there"\n');
    const bad = await aida(['config', 'check', '--config', join(root.dir, 'bad.yaml')], { cwd: root.dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^aida: the configuration is invalid\. AIDA_CONFIG_INVALID: The instance configuration has 2 problems:\n {2}- server\.port: .*\n {2}- plugins\[0\] \(@aida\/plugin-not-there\): .*npm install @aida\/plugin-not-there\n$/,
    );
    const demo = await aida(['config', 'check'], { env: { AIDA_CONFIG: join(root.dir, 'missing.yaml') } });
    expect([demo.code, demo.stdout]).toEqual([0, `No config file at ${join(root.dir, 'missing.yaml')}: the host would run the demo instance.\n`]);
  });
});
