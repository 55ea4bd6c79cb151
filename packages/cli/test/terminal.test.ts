// On a terminal `da sync` draws a progress bar per file and an overall one. The test gives the
// real binary a pseudo-terminal through util-linux `script`.
import { execFileSync, spawn } from 'node:child_process';
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
    const p = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, ...env, COLUMNS: '120', TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
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
    // Slowed down so the bars are drawn mid-transfer (they redraw ten times a second).
    proxy = await startProxy(h.url);
    proxy.throttle = 8 * 1024;
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
