import { stat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYST, daBin, daWorkspace, startDaHost, type DaHost } from './helpers.js';

describe('da login / whoami / logout', () => {
  let h: DaHost;
  beforeAll(async () => {
    h = await startDaHost({ orders: { sql: 'SELECT 1 AS id' } });
  });
  afterAll(() => h?.stop());

  it('signs in with a password from stdin, keeps the token in a 0600 file, and whoami shows the user', async () => {
    const ws = await daWorkspace();
    try {
      const r = await ws.run(['login', '--server', h.url, '--email', ANALYST.email, '--password-stdin', '--json'], { stdin: `${ANALYST.password}\n` });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.json<{ user: { email: string; role: string } }>().user).toMatchObject({ email: ANALYST.email, role: 'analyst' });
      const cfg = join(ws.configDir, 'config.json');
      expect((await stat(cfg)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await readFile(cfg, 'utf8'))).toMatchObject({ server: h.url, email: ANALYST.email });
      const who = await ws.run(['whoami']);
      expect(who.code).toBe(0);
      expect(who.stdout).toMatch(new RegExp(`email\\s+${ANALYST.email}`));
      expect(who.stdout).toMatch(/role\s+analyst/);

      const out = await ws.run(['logout', '--json']);
      expect(out.json()).toEqual({ status: 'signed_out' });
      const after = await ws.run(['whoami', '--json']);
      expect(after.code).toBe(3);
      expect(after.json<{ error: { kind: string } }>().error.kind).toBe('auth');
    } finally {
      await ws.cleanup();
    }
  });

  it('takes the password from DA_PASSWORD and the server from DA_SERVER', async () => {
    const ws = await daWorkspace();
    try {
      const r = await ws.run(['login', '--email', ANALYST.email], { env: { DA_SERVER: h.url, DA_PASSWORD: ANALYST.password } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Signed in to .* as analyst@example\.com \(analyst\)/);
    } finally {
      await ws.cleanup();
    }
  });

  it('a wrong password is an auth error (3); with no terminal and no password it fails at once with a usage error (2)', async () => {
    const ws = await daWorkspace();
    try {
      const wrong = await ws.run(['login', '--server', h.url, '--email', ANALYST.email, '--password-stdin', '--json'], { stdin: 'not-the-password\n' });
      expect(wrong.code).toBe(3);
      expect(wrong.json<{ error: { status: number } }>().error.status).toBe(401);
      const t0 = Date.now();
      const noPw = await ws.run(['login', '--server', h.url, '--email', ANALYST.email]);
      expect(noPw.code).toBe(2);
      expect(noPw.stderr).toMatch(/no terminal to ask on[\s\S]*--password-stdin/);
      expect(Date.now() - t0).toBeLessThan(10_000);
      const noServer = await ws.run(['login', '--token', 'x']);
      expect(noServer.code).toBe(2);
      expect(noServer.stderr).toMatch(/No server/);
    } finally {
      await ws.cleanup();
    }
  });

  it('a wrong password says the email or password is wrong, not that a token is invalid', async () => {
    const ws = await daWorkspace();
    try {
      const wrong = await ws.run(['login', '--server', h.url, '--email', ANALYST.email, '--password-stdin', '--json'], { stdin: 'not-the-password\n' });
      expect(wrong.code).toBe(3);
      const e = wrong.json<{ error: { kind: string; message: string; status: number; hint?: string } }>().error;
      expect(e).toMatchObject({ kind: 'auth', status: 401 });
      expect(e.message).toMatch(/email or password is wrong/i);
      expect(`${e.message} ${e.hint}`).not.toMatch(/token/i);
      const text = await ws.run(['login', '--server', h.url, '--email', 'nobody@example.com', '--password-stdin'], { stdin: 'whatever\n' });
      expect(text.code).toBe(3);
      expect(text.stderr).toMatch(/^error: .*email or password is wrong/i);
      expect(text.stderr).not.toMatch(/Not signed in|no longer valid/);
      await expect(stat(join(ws.configDir, 'config.json'))).rejects.toThrow();
    } finally {
      await ws.cleanup();
    }
  });

  it('a --server without a scheme gets http:// on loopback addresses and https:// elsewhere, and says which', async () => {
    const ws = await daWorkspace();
    try {
      // The host listens on 127.0.0.1: without the fix this became https:// and failed with an SSL error.
      const bare = h.url.replace(/^http:\/\//, '');
      const r = await ws.run(['login', '--server', bare, '--token', h.analystToken, '--json']);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.json<{ server: string }>().server).toBe(h.url);
      expect(r.stderr).toContain(`using ${h.url}`);
      // https:// spelled out for a plain-http server: the hint names the http:// URL to use.
      const tls = await ws.run(['whoami', '--json', '--server', h.url.replace(/^http:/, 'https:')], { env: { DA_RETRIES: '0' } });
      expect(tls.code).toBe(4);
      expect(tls.json<{ error: { hint: string } }>().error.hint).toContain(`use --server ${h.url}`);
      const other = await daWorkspace();
      try {
        for (const [given, used] of [
          ['localhost:8100', 'http://localhost:8100'],
          ['[::1]:8100/aida', 'http://[::1]:8100/aida'],
          ['::1', 'http://[::1]'],
          ['127.8.9.10:8100', 'http://127.8.9.10:8100'],
          ['aida.example.com', 'https://aida.example.com'],
          ['10.0.0.5:8000', 'https://10.0.0.5:8000'],
        ]) {
          const s = await other.run(['status', '--local', '--json'], { env: { DA_SERVER: given } });
          expect(s.code, s.stderr).toBe(0);
          expect(s.json<{ local: { server: string } }>().local.server).toBe(used);
          expect(s.stderr).toContain(`using ${used}`);
        }
        const human = await other.run(['status', '--local', '--server', 'localhost:8100']);
        expect(human.stdout).toMatch(/server\s+http:\/\/localhost:8100/);
        expect(human.stdout).not.toMatch(/using/);
        expect(human.stderr).toMatch(/no scheme.*using http:\/\/localhost:8100/);
        // A URL with a scheme is taken as it is, silently.
        expect((await other.run(['status', '--local', '--server', 'http://aida.example.com'])).stderr).toBe('');
      } finally {
        await other.cleanup();
      }
    } finally {
      await ws.cleanup();
    }
  });

  it('accepts a personal access token, rejects a bad one, and DA_TOKEN works without any login', async () => {
    const ws = await daWorkspace();
    try {
      const pat = (await (
        await fetch(`${h.url}/auth/tokens`, {
          method: 'POST',
          headers: { authorization: `Bearer ${h.analystToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'laptop' }),
        })
      ).json()) as { token: string };
      const ok = await ws.run(['login', '--server', h.url, '--token', pat.token]);
      expect(ok.code, ok.stderr).toBe(0);
      expect((await ws.run(['whoami', '--json'])).json<{ user: { token_type: string } }>().user.token_type).toBe('pat');
      const bad = await ws.run(['login', '--server', h.url, '--token', 'aida_pat_nonsense']);
      expect(bad.code).toBe(3);
      const other = await daWorkspace();
      try {
        const viaEnv = await other.run(['whoami', '--json'], { env: { DA_SERVER: h.url, DA_TOKEN: pat.token } });
        expect(viaEnv.code).toBe(0);
        expect(viaEnv.json<{ user: { email: string } }>().user.email).toBe(ANALYST.email);
      } finally {
        await other.cleanup();
      }
    } finally {
      await ws.cleanup();
    }
  });

  it('--pat-days keeps a personal access token minted at login, and logout revokes it', async () => {
    const ws = await daWorkspace();
    try {
      const r = await ws.run(['login', '--server', h.url, '--email', ANALYST.email, '--password-stdin', '--pat-days', '30', '--json'], {
        stdin: ANALYST.password,
      });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect((await ws.run(['whoami', '--json'])).json<{ user: { token_type: string } }>().user.token_type).toBe('pat');
      const cfg = JSON.parse(await readFile(join(ws.configDir, 'config.json'), 'utf8')) as { token: string; pat_id: string };
      const tokens = (await (await fetch(`${h.url}/auth/tokens`, { headers: { authorization: `Bearer ${h.analystToken}` } })).json()) as {
        tokens: { id: string; name: string; expires_at: string }[];
      };
      const mine = tokens.tokens.find((x) => x.id === cfg.pat_id)!;
      expect(mine.name).toMatch(/^da on /);
      const days = (Date.parse(mine.expires_at) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(29);
      expect(days).toBeLessThan(31);
      const out = await ws.run(['logout', '--json']);
      expect(out.json()).toEqual({ status: 'signed_out', token_revoked: true });
      expect((await fetch(`${h.url}/auth/me`, { headers: { authorization: `Bearer ${cfg.token}` } })).status).toBe(401);
      expect((await ws.run(['login', '--server', h.url, '--token', 'x', '--pat-days', '3'])).code).toBe(2);
      expect((await ws.run(['login', '--server', h.url, '--email', ANALYST.email, '--pat-days', 'many'])).code).toBe(2);
    } finally {
      await ws.cleanup();
    }
  });

  it('takes a token from stdin with --token-stdin', async () => {
    const ws = await daWorkspace();
    try {
      const r = await ws.run(['login', '--server', h.url, '--token-stdin', '--json'], { stdin: `${h.analystToken}\n` });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.json<{ user: { email: string } }>().user.email).toBe(ANALYST.email);
      const empty = await ws.run(['login', '--server', h.url, '--token-stdin']);
      expect(empty.code).toBe(2);
    } finally {
      await ws.cleanup();
    }
  });

  it('prints a 300,000-row table, and ends quietly when the reader of its output goes away', async () => {
    const ws = await daWorkspace();
    try {
      // Outside a workspace a local query is refused rather than creating one.
      const none = await ws.run(['query', 'SELECT 1', '--json']);
      expect(none.code).toBe(2);
      expect(none.json<{ error: { message: string } }>().error.message).toMatch(/No local database in /);
      await ws.run(['sync'], { env: { DA_SERVER: h.url, DA_TOKEN: h.analystToken } });
      const big = await ws.run(['query', 'SELECT range AS n, range * 2 AS m FROM range(300000)', '--limit', '0']);
      expect(big.code, big.stderr.slice(0, 500)).toBe(0);
      expect(big.stdout.split('\n').length).toBe(300_000 + 3);
      const { spawnSync } = await import('node:child_process');
      const piped = spawnSync(
        'bash',
        ['-o', 'pipefail', '-c', `'${process.execPath}' '${daBin}' query "SELECT range FROM range(2000000)" --limit 0 -f csv | head -2`],
        { env: { ...process.env, ...ws.env }, encoding: 'utf8' },
      );
      expect(piped.stdout).toBe('range\n0\n');
      expect(piped.stderr).not.toMatch(/EPIPE|Error/);
      expect(piped.status).toBe(0);
      const cut = await ws.run(['query', 'SELECT range FROM range(20)', '-f', 'csv', '--limit', '5']);
      expect(cut.stdout).toBe('range\n0\n1\n2\n3\n4\n');
      expect(cut.stderr).toMatch(/only the first 5 rows were written; --limit 0 writes all of them/);
    } finally {
      await ws.cleanup();
    }
  });

  it('reports usage errors with exit code 2: unknown options, bad formats, bad limits', async () => {
    const ws = await daWorkspace();
    try {
      expect((await ws.run(['sync', '--frobnicate'])).code).toBe(2);
      const version = await ws.run(['--version', '--json']);
      expect(version.json()).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
      const unknown = await ws.run(['sync', '--frobnicate', '--json']);
      expect(unknown.code).toBe(2);
      expect(unknown.json<{ error: { kind: string; message: string } }>().error).toEqual({ kind: 'usage', message: "unknown option '--frobnicate'" });
      const fmt = await ws.run(['query', 'SELECT 1', '-f', 'xml', '--json']);
      expect(fmt.code).toBe(2);
      expect(fmt.json<{ error: { message: string } }>().error.message).toMatch(/Unknown format 'xml'/);
      expect((await ws.run(['query', 'SELECT 1', '--limit', '-3'])).code).toBe(2);
      expect((await ws.run(['sync', '--parallel', '0'], { env: { DA_SERVER: h.url, DA_TOKEN: h.analystToken } })).code).toBe(2);
      const badEnv = await ws.run(['whoami', '--json'], { env: { DA_SERVER: h.url, DA_TOKEN: h.analystToken, DA_RETRIES: 'abc' } });
      expect(badEnv.code).toBe(2);
      expect(badEnv.json<{ error: { message: string } }>().error.message).toBe("DA_RETRIES must be a whole number ≥ 0, not 'abc'");
      const mixed = await ws.run(['query', 'SELECT 1', '-f', 'csv', '--json']);
      expect(mixed.code).toBe(2);
      expect(mixed.json<{ error: { message: string } }>().error.message).toMatch(/--json prints JSON; it cannot go with -f csv/);
    } finally {
      await ws.cleanup();
    }
  });
});
