// On a terminal `da sync` draws a progress bar per file and an overall one, and `da query` shows
// a screenful. The tests give the real binary a pseudo-terminal through util-linux `script`.
import { execFileSync, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daBin, daWorkspace, startDaHost, type DaHost } from './helpers.js';
import { startProxy, type Proxy } from './proxy.js';

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasScript) console.log('terminal.test.ts skipped: util-linux `script` (to give da a pseudo-terminal) is not installed');

function inTerminal(command: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('script', ['-qec', command, '/dev/null'], {
      env: { ...process.env, ...env, COLUMNS: '120', TERM: 'xterm' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.stdin.end();
    p.on('close', (code) => resolve({ code, out }));
  });
}

describe.skipIf(!hasScript)('da sync on a terminal', () => {
  let h: DaHost;
  let proxy: Proxy;
  beforeAll(async () => {
    h = await startDaHost({ alpha: { sql: 'SELECT range AS id FROM range(50000)' }, beta: { sql: 'SELECT range AS id FROM range(10)' } });
    // Slowed down so the bars are drawn mid-transfer (they redraw ten times a second): about 2 s
    // for alpha's ~200 KB, so a loaded CI machine still draws several frames before it is done.
    proxy = await startProxy(h.url);
    proxy.throttle = 2 * 1024;
  });
  afterAll(async () => {
    await proxy?.close();
    await h?.stop();
  });

  it('draws a bar per file and an overall one, then prints the summary', async () => {
    const ws = await daWorkspace();
    try {
      const login = await ws.run(['login', '--server', proxy.url, '--token', h.analystToken]);
      expect(login.code).toBe(0);
      const r = await inTerminal(`'${process.execPath}' '${daBin}' sync`, ws.env);
      expect(r.code, r.out).toBe(0);
      // eslint-disable-next-line no-control-regex -- stripping the terminal's escape sequences is the point
      const text = r.out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
      // A bar per file while it downloads (removed when done; the slowed-down one is always seen),
      // and the overall one to 100%.
      expect(text).toMatch(/[1-9]\d?% \| alpha \| \d+\.\d KB/);
      expect(text).toMatch(/100% \| all 2 file\(s\) \| \d+\.\d KB/);
      expect(text).toMatch(/2 table\(s\) in .*: 2 file\(s\) fetched/);
      // Piped (no terminal), the same sync draws nothing.
      const piped = await ws.run(['sync', '--table', 'beta']);
      expect(piped.stderr).not.toMatch(/%/);
    } finally {
      await ws.cleanup();
    }
  });
});

describe.skipIf(!hasScript)('da query on a terminal', () => {
  it('shows a screenful and says how many more rows there are and how to see them; piped and --json it is as before', async () => {
    const ws = await daWorkspace();
    try {
      // A local database is all a local query needs: made directly, no server involved.
      await mkdir(join(ws.dir, 'user', 'duckdb'), { recursive: true });
      const { DuckDBInstance } = await import('@duckdb/node-api');
      (await DuckDBInstance.create(join(ws.dir, 'user', 'duckdb', 'analytics.duckdb'))).closeSync();
      const query = (sql: string, extra = '') => `'${process.execPath}' '${daBin}' query "${sql}" ${extra}`;
      const numbers = (out: string) => out.split(/\r?\n/).filter((l) => /^\d+$/.test(l.trim()));
      const many = 'SELECT range AS n FROM range(5000)';

      const tall = await inTerminal(`stty rows 30; ${query(many)}`, ws.env);
      expect(tall.code, tall.out).toBe(0);
      expect(numbers(tall.out)).toHaveLength(25); // 30 rows less the header, the note and the prompt
      expect(tall.out).toMatch(/25 of 5,000 rows shown; 4,975 more/);
      expect(tall.out).toMatch(/--limit N/);
      expect(tall.out).toMatch(/-f csv/);

      // A terminal that does not say its height gets about 20 rows.
      const unknown = await inTerminal(`stty rows 0; ${query(many)}`, ws.env);
      expect(numbers(unknown.out)).toHaveLength(20);
      expect(unknown.out).toMatch(/20 of 5,000 rows shown; 4,980 more/);

      // What fits is shown whole; an explicit --limit is what the analyst asked for.
      const small = await inTerminal(`stty rows 30; ${query('SELECT range AS n FROM range(7)')}`, ws.env);
      expect(numbers(small.out)).toHaveLength(7);
      expect(small.out).toMatch(/7 row\(s\)/);
      expect(small.out).not.toMatch(/more/);
      const limited = await inTerminal(`stty rows 30; ${query(many, '--limit 100')}`, ws.env);
      expect(numbers(limited.out)).toHaveLength(100);
      expect(limited.out).toMatch(/100 row\(s\) — truncated at 100/);

      // Piped and with --json: up to 1,000 rows, as before.
      const piped = await ws.run(['query', many]);
      expect(piped.code, piped.stderr).toBe(0);
      expect(numbers(piped.stdout)).toHaveLength(1000);
      expect(piped.stderr).toMatch(/1000 row\(s\) — truncated at 1000/);
      const json = await ws.run(['query', many, '--json']);
      expect(json.json<{ row_count: number; truncated: boolean }>()).toMatchObject({ row_count: 1000, truncated: true });
    } finally {
      await ws.cleanup();
    }
  });
});
