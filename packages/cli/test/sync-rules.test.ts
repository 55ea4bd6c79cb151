// `da sync` delivering corporate memory: against a real host with the memory plugin, the real
// binary writes, updates and prunes .claude/rules/km_*.md; against a host without it, sync
// succeeds and writes nothing.
import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, tokens, type AnyPlugin } from '@aida/core';
import type { AuthenticatedFetch } from '@aida/core/testing';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { daWorkspace } from './helpers.js';

interface RulesJson {
  available: boolean | null;
  dir?: string;
  written?: string[];
  updated?: string[];
  removed?: string[];
  unchanged?: string[];
  error?: string;
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

async function body<T = Record<string, unknown>>(res: Response, what: string, ok = [200, 201]): Promise<T> {
  const text = await res.text();
  if (!ok.includes(res.status)) throw new Error(`${what}: ${res.status} ${text.slice(0, 400)}`);
  return (text ? JSON.parse(text) : {}) as T;
}

describe('da sync without the memory plugin', () => {
  let t: TestHost;
  let analyst: AuthenticatedFetch;
  beforeAll(async () => {
    t = await startTestHost();
    analyst = await t.asUser('analyst');
  });
  afterAll(() => t?.stop());

  it('succeeds, reports rules as unavailable and creates no .claude folder', async () => {
    const ws = await daWorkspace();
    try {
      const login = await ws.run(['login', '--server', t.url, '--token', analyst.token]);
      expect(login.code, login.stderr).toBe(0);
      const r = await ws.run(['sync', '--json']);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.json<{ rules: RulesJson }>().rules).toEqual({ available: false });
      expect(r.stderr).toBe('');
      expect(await exists(join(ws.dir, '.claude'))).toBe(false);

      const human = await ws.run(['sync']);
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout + human.stderr).not.toMatch(/rules|memory/i);

      const dry = await ws.run(['sync', '--dry-run', '--json']);
      expect(dry.json<{ rules: RulesJson }>().rules).toEqual({ available: false });
      expect(await exists(join(ws.dir, '.claude'))).toBe(false);
    } finally {
      await ws.cleanup();
    }
  });
});

// A stand-in for the memory plugin whose answer each test sets, for what the real plugin never
// answers: ids that are no file names, a failing server, a body of the wrong shape.
const answer: { status: number; body: unknown } = { status: 200, body: {} };
const standIn = definePlugin({
  id: 'memory',
  kind: 'extension',
  config: z.object({}),
  deps: { routes: tokens.routes },
  init({ routes }) {
    routes.add({
      method: 'GET',
      path: '/api/memory/bundle',
      access: { role: 'viewer' },
      handler: (ctx) => {
        ctx.status = answer.status;
        ctx.body = answer.body;
      },
    });
  },
});

describe('da sync against a bundle that goes wrong', () => {
  let t: TestHost;
  let analyst: AuthenticatedFetch;
  beforeAll(async () => {
    t = await startTestHost({ plugins: [standIn] });
    analyst = await t.asUser('analyst');
  });
  afterAll(() => t?.stop());
  const note = (id: string) => ({ id, title: `Note ${id}`, content: `Text of ${id}.`, category: 'data_quality', updated_at: '2026-01-02T00:00:00Z' });

  it('skips ids that are no file names with a warning, and keeps the files when the server fails or answers nonsense', async () => {
    const ws = await daWorkspace();
    try {
      const rulesDir = join(ws.dir, '.claude', 'rules');
      await ws.run(['login', '--server', t.url, '--token', analyst.token]);
      answer.status = 200;
      answer.body = { required: [note('good'), note('../../escape'), note('a/b')], approved: [note('x')], token_estimate: 20, token_budget: 6000 };
      const first = await ws.run(['sync', '--json']);
      expect(first.code, first.stderr + first.stdout).toBe(0);
      expect(first.json<{ rules: RulesJson }>().rules.written!.sort()).toEqual(['.claude/rules/km_approved.md', '.claude/rules/km_good.md']);
      expect(first.stderr).toContain("warning: rule note '../../escape' not written: its id cannot be used as a file name");
      expect(first.stderr).toContain("warning: rule note 'a/b' not written");
      expect((await readdir(rulesDir)).sort()).toEqual(['km_approved.md', 'km_good.md']);
      expect(await exists(join(ws.dir, 'escape.md'))).toBe(false);
      expect(await exists(join(ws.dir, 'km_../../escape.md'))).toBe(false);
      const before = await readFile(join(rulesDir, 'km_good.md'), 'utf8');

      answer.status = 500;
      answer.body = { code: 'BOOM', message: 'the memory store is down' };
      const down = await ws.run(['sync', '--json'], { env: { DA_RETRIES: '0' } });
      expect(down.code, down.stdout).toBe(6);
      expect(down.json<{ rules: RulesJson }>().rules).toMatchObject({ available: true, error: expect.stringContaining('500') });
      expect(await readFile(join(rulesDir, 'km_good.md'), 'utf8')).toBe(before);
      expect(await exists(join(rulesDir, 'km_approved.md'))).toBe(true);
      const human = await ws.run(['sync'], { env: { DA_RETRIES: '0' } });
      expect(human.code).toBe(6);
      expect(human.stdout).toContain('failed  .claude/rules: corporate memory rules not refreshed (the files there are kept)');

      answer.status = 200;
      answer.body = { items: [] };
      const odd = await ws.run(['sync', '--json']);
      expect(odd.code, odd.stdout).toBe(5);
      expect(odd.json<{ rules: RulesJson }>().rules.error).toMatch(/memory bundle is not in the expected shape/);
      expect((await readdir(rulesDir)).sort()).toEqual(['km_approved.md', 'km_good.md']);

      answer.body = { required: [], approved: [], token_estimate: 0, token_budget: 6000 };
      const dry = await ws.run(['sync', '--dry-run']);
      expect(dry.stdout).toContain('remove  .claude/rules/km_good.md');
      expect(await exists(join(rulesDir, 'km_good.md'))).toBe(true);
      const none = await ws.run(['sync', '--json']);
      expect(none.json<{ rules: RulesJson }>().rules).toMatchObject({ written: [], removed: ['.claude/rules/km_approved.md', '.claude/rules/km_good.md'] });
      expect(await readdir(rulesDir)).toEqual([]);
    } finally {
      await ws.cleanup();
    }
  });
});

// The plugin is built by another part of the same issue; until its dist exports the plugin,
// this suite is skipped and says so.
const memoryPlugin = await import('@aida/plugin-memory')
  .then((m: Record<string, unknown>) => (m.memoryPlugin ?? m.default) as AnyPlugin | undefined)
  .catch(() => undefined);
if (!memoryPlugin) console.warn('sync-rules.test.ts: @aida/plugin-memory does not export memoryPlugin yet (not built?): the memory-plugin suite is skipped');

describe.skipIf(!memoryPlugin)('da sync with the memory plugin', () => {
  let t: TestHost;
  let km: AuthenticatedFetch;
  let analyst: AuthenticatedFetch;
  beforeAll(async () => {
    t = await startTestHost({ plugins: [memoryPlugin!] });
    km = await t.asUser('km_admin');
    analyst = await t.asUser('analyst');
  });
  afterAll(() => t?.stop());

  /** Proposes an item as the analyst and has the km_admin approve it (and mandate it when `required`). */
  async function publish(title: string, content: string, required: boolean): Promise<string> {
    const created = await body<{ id: string }>(
      await analyst('/api/memory', { method: 'POST', body: JSON.stringify({ title, content, category: 'business_logic' }) }),
      'POST /api/memory',
    );
    await admin(required ? 'mandate' : 'approve', { item_id: created.id });
    return created.id;
  }
  async function admin(action: string, b: Record<string, unknown>): Promise<void> {
    await body(await km(`/api/memory/admin/${action}`, { method: 'POST', body: JSON.stringify(b) }), `POST /api/memory/admin/${action}`);
  }

  it('writes the bundle, rewrites only what changed, prunes a revoked note and leaves my-notes.md alone', async () => {
    const ws = await daWorkspace();
    try {
      const rulesDir = join(ws.dir, '.claude', 'rules');
      await ws.run(['login', '--server', t.url, '--token', analyst.token]);

      const empty = await ws.run(['sync', '--json']);
      expect(empty.code, empty.stderr + empty.stdout).toBe(0);
      expect(empty.json<{ rules: RulesJson }>().rules).toMatchObject({ available: true, written: [], removed: [] });
      expect(await exists(join(ws.dir, '.claude')), 'no folder for an empty bundle').toBe(false);

      const net = await publish('Revenue is net of refunds', 'Always report revenue net of refunds.\n\n- gross only on request', true);
      const fy = await publish('Fiscal year\n## starts in April', 'The fiscal year starts on 1 April.', true);
      const tz = await publish('Timestamps are UTC', 'All event timestamps are stored in UTC.', false);
      await mkdir(rulesDir, { recursive: true });
      await writeFile(join(rulesDir, 'my-notes.md'), 'my own rules\n');

      const first = await ws.run(['sync', '--json']);
      expect(first.code, first.stderr + first.stdout).toBe(0);
      const r1 = first.json<{ rules: RulesJson }>().rules;
      expect(r1.available).toBe(true);
      expect(r1.written!.sort()).toEqual([`.claude/rules/km_${fy}.md`, `.claude/rules/km_${net}.md`, '.claude/rules/km_approved.md'].sort());
      expect(r1.removed).toEqual([]);

      const netText = await readFile(join(rulesDir, `km_${net}.md`), 'utf8');
      expect(netText.split('\n')[0]).toMatch(
        new RegExp(
          `^<!-- corporate memory from ${t.url.replace(/[.]/g, '\\.')}, required, 1 note .* regenerated by da sync on \\d{4}-\\d{2}-\\d{2}; edits here are overwritten -->$`,
        ),
      );
      expect(netText).toContain('## Revenue is net of refunds\n');
      expect(netText).toContain('\n\nAlways report revenue net of refunds.\n\n- gross only on request\n');
      // The title's line break cannot open a heading of its own.
      expect((await readFile(join(rulesDir, `km_${fy}.md`), 'utf8')).match(/^## /gm)).toEqual(['## ']);
      const rollup = await readFile(join(rulesDir, 'km_approved.md'), 'utf8');
      expect(rollup).toContain('## Timestamps are UTC\n');
      expect(rollup).toContain(tz);
      expect(rollup).not.toContain('Revenue is net of refunds');

      const again = await ws.run(['sync', '--json']);
      expect(again.json<{ rules: RulesJson }>().rules).toMatchObject({ written: [], updated: [], removed: [] });
      expect(again.json<{ rules: RulesJson }>().rules.unchanged).toHaveLength(3);

      await admin('edit', { item_id: net, content: 'Always report revenue net of refunds and of VAT.' });
      const edited = await ws.run(['sync', '--json']);
      expect(edited.json<{ rules: RulesJson }>().rules).toMatchObject({ written: [], updated: [`.claude/rules/km_${net}.md`], removed: [] });
      expect(await readFile(join(rulesDir, `km_${net}.md`), 'utf8')).toContain('\n\nAlways report revenue net of refunds and of VAT.\n');

      await admin('revoke', { item_id: fy });
      await admin('revoke', { item_id: tz });
      const human = await ws.run(['sync']);
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout).toContain('rules: 2 removed, 1 unchanged (.claude/rules)');
      expect((await readdir(rulesDir)).sort()).toEqual([`km_${net}.md`, 'my-notes.md'].sort());
      expect(await readFile(join(rulesDir, 'my-notes.md'), 'utf8')).toBe('my own rules\n');

      const off = await ws.run(['sync', '--no-rules', '--json']);
      expect(off.json<{ rules: unknown }>().rules).toBeNull();

      await admin('revoke', { item_id: net });
      const last = await ws.run(['sync', '--json']);
      expect(last.json<{ rules: RulesJson }>().rules).toMatchObject({ available: true, written: [], removed: [`.claude/rules/km_${net}.md`] });
      expect(await readdir(rulesDir)).toEqual(['my-notes.md']);
    } finally {
      await ws.cleanup();
    }
  });
});
