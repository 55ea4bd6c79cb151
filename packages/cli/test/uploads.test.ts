import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daWorkspace, startDaHost, type DaHost } from './helpers.js';

interface UploadResult {
  uploads: { uploaded: { path: string; kind: string }[]; skipped: { path: string; reason: string }[]; failed: unknown[] };
}

describe('da sync uploads the workspace', () => {
  let h: DaHost;
  beforeAll(async () => {
    h = await startDaHost({ orders: { sql: 'SELECT 1 AS id' } });
  });
  afterAll(() => h?.stop());

  it('sends new and changed sessions, artifacts and CLAUDE.local.md once each', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', h.url, '--token', h.analystToken]);
      await mkdir(join(ws.dir, 'user', 'sessions', 'june'), { recursive: true });
      await mkdir(join(ws.dir, 'user', 'artifacts'), { recursive: true });
      await writeFile(join(ws.dir, 'user', 'sessions', 'june', 's1.jsonl'), '{"role":"user","text":"hi"}\n');
      await writeFile(join(ws.dir, 'user', 'artifacts', 'chart.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]));
      await writeFile(join(ws.dir, 'user', 'artifacts', '.DS_Store'), 'junk');
      await writeFile(join(ws.dir, 'CLAUDE.local.md'), '# my notes\nrevenue = net of refunds\n');

      const dry = await ws.run(['sync', '--dry-run', '--json']);
      expect(dry.json<{ upload: { path: string }[] }>().upload.map((u) => u.path)).toEqual([
        'user/sessions/june/s1.jsonl',
        'user/artifacts/chart.png',
        'CLAUDE.local.md',
      ]);

      const first = await ws.run(['sync', '--json']);
      expect(first.code, first.stderr + first.stdout).toBe(0);
      expect(
        first
          .json<UploadResult>()
          .uploads.uploaded.map((u) => `${u.kind}:${u.path}`)
          .sort(),
      ).toEqual(['artifacts:user/artifacts/chart.png', 'local-md:CLAUDE.local.md', 'sessions:user/sessions/june/s1.jsonl']);
      const base = join(h.t.dataDir, 'uploads', h.analystId);
      const sessions = await readdir(join(base, 'sessions'));
      expect(sessions).toEqual([expect.stringMatching(/-s1\.jsonl$/)]);
      expect(await readFile(join(base, 'sessions', sessions[0]), 'utf8')).toBe('{"role":"user","text":"hi"}\n');
      const artifacts = await readdir(join(base, 'artifacts'));
      expect(await readFile(join(base, 'artifacts', artifacts[0]))).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]));
      expect(await readFile(join(base, 'CLAUDE.local.md'), 'utf8')).toBe('# my notes\nrevenue = net of refunds\n');

      const second = await ws.run(['sync', '--json']);
      expect(second.json<UploadResult>().uploads.uploaded).toEqual([]);

      await writeFile(join(ws.dir, 'user', 'sessions', 'june', 's1.jsonl'), '{"role":"user","text":"hi again"}\n');
      const third = await ws.run(['sync', '--upload-only', '--json']);
      expect(third.code, third.stderr).toBe(0);
      expect(third.json<UploadResult>().uploads.uploaded.map((u) => u.path)).toEqual(['user/sessions/june/s1.jsonl']);
      expect(await readdir(join(base, 'sessions'))).toHaveLength(2);

      await writeFile(join(ws.dir, 'CLAUDE.local.md'), 'changed');
      const skipped = await ws.run(['sync', '--no-upload', '--json']);
      expect(skipped.json<{ uploads: unknown }>().uploads).toBeNull();
      expect(await readFile(join(base, 'CLAUDE.local.md'), 'utf8')).toBe('# my notes\nrevenue = net of refunds\n');
    } finally {
      await ws.cleanup();
    }
  });

  it("a viewer's sync downloads and skips the uploads their role does not allow, without failing", async () => {
    const res = await fetch(`${h.url}/api/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'viewer@example.com', role: 'viewer', password: 'viewer-password-1' }),
    });
    expect(res.status).toBe(201);
    const login = (await (
      await fetch(`${h.url}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'viewer@example.com', password: 'viewer-password-1' }),
      })
    ).json()) as { access_token: string };
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', h.url, '--token', login.access_token]);
      await writeFile(join(ws.dir, 'CLAUDE.local.md'), 'notes');
      const r = await ws.run(['sync', '--json']);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const out = r.json<UploadResult & { fetched: unknown[] }>();
      expect(out.fetched).toHaveLength(1);
      expect(out.uploads.skipped).toEqual([{ path: 'CLAUDE.local.md', reason: expect.stringMatching(/role may not upload/) }]);
      expect(r.stderr).toMatch(/not uploaded: CLAUDE\.local\.md/);
    } finally {
      await ws.cleanup();
    }
  });
});
