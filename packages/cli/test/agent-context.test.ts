// .claude/rules/aida_data.md as `da sync` writes it against a real host: the tables on this
// laptop and nothing else, rewritten only when what it says changed, within its size limit for
// 1,000 tables, and never in place of a file that is not AIDA's.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daWorkspace, startDaHost, writeTables, type DaHost, type TableSpec } from './helpers.js';

const CONTEXT = join('.claude', 'rules', 'aida_data.md');
const BUDGET = 60_000;

/** The table ids the file names: its `### \`id\`` headings, or its `- \`id\`` lines when abridged to names. */
function listed(text: string): string[] {
  const headings = [...text.matchAll(/^### `([^`]+)`/gm)].map((m) => m[1]);
  return (headings.length ? headings : [...text.matchAll(/^- `([^`]+)`/gm)].map((m) => m[1])).sort();
}

async function admin(h: DaHost, method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

interface SyncJson {
  agent_context: { path: string; status: string; tables: number; bytes: number; detail: string };
}

describe('the agent context file da sync writes', () => {
  let h: DaHost;
  beforeAll(async () => {
    h = await startDaHost({
      orders: {
        sql: `SELECT range AS id, range % 7 AS customer, CASE range % 3 WHEN 0 THEN 'open' WHEN 1 THEN 'paid' ELSE 'shipped' END AS status,
                CASE WHEN range % 4 = 0 THEN 'x' END AS coupon FROM range(5000)`,
      },
      customers: { sql: "SELECT range AS id, 'customer ' || range AS name FROM range(7)" },
      salaries: { sql: "SELECT 'ada' AS person, 100 AS salary" },
    });
    await admin(h, 'PUT', '/api/admin/registry/salaries', { is_public: false });
    await admin(h, 'PUT', '/api/admin/registry/orders', { description: 'Orders placed in the web shop, one row per order' });
    const profiled = await fetch(`${h.url}/api/catalog/profile/orders/refresh`, { method: 'POST', headers: { authorization: `Bearer ${h.analystToken}` } });
    expect(profiled.status).toBe(200);
  });
  afterAll(() => h?.stop());

  it('lists exactly the synced tables, with columns, types, row counts, freshness, profile facts and how to query them', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', h.url, '--token', h.analystToken]);
      const mine = join(ws.dir, '.claude', 'rules', 'my_rules.md');
      await mkdir(join(ws.dir, '.claude', 'rules'), { recursive: true });
      await writeFile(mine, 'Always answer in French.\n');
      const before = await stat(mine);

      const s = await ws.run(['sync', '--json']);
      expect(s.code, s.stderr).toBe(0);
      expect(s.json<SyncJson>().agent_context).toMatchObject({ path: CONTEXT, status: 'written', tables: 2, detail: 'full' });
      const text = await readFile(join(ws.dir, CONTEXT), 'utf8');
      expect(listed(text)).toEqual(['customers', 'orders']);
      expect(text).not.toMatch(/salaries/);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(BUDGET);
      expect(text).toMatch(
        /^<!-- AIDA data context written by da sync from http:\/\/127\.0\.0\.1:\d+ on \d{4}-\d{2}-\d{2} \(full, inputs [0-9a-f]{16}\); edits here are overwritten/,
      );
      expect(text).toMatch(/^### `orders` — 5,000 rows, updated \d{4}-\d{2}-\d{2}, source shop$/m);
      expect(text).toMatch(/^Orders placed in the web shop, one row per order$/m);
      expect(text).toMatch(/^- `id` BIGINT — unique$/m);
      expect(text).toMatch(/^- `status` VARCHAR — values: open, paid, shipped$/m);
      expect(text).toMatch(/^- `coupon` VARCHAR — 75% null$/m);
      expect(text).toMatch(/^### `customers` — 7 rows/m);
      expect(text).toMatch(/^- `name` VARCHAR$/m);
      expect(text).toMatch(/da query "SELECT count\(\*\) FROM customers"/);
      expect(text).toMatch(/`list_tables`, `describe_table`, `search_catalog`, `query`/);
      // The analyst's own rules file is not touched.
      expect(await readFile(mine, 'utf8')).toBe('Always answer in French.\n');
      expect((await stat(mine)).mtimeMs).toBe(before.mtimeMs);
    } finally {
      await ws.cleanup();
    }
  });

  it('is not rewritten by a sync that changed nothing, and follows the tables when they change', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', h.url, '--token', h.analystToken]);
      expect((await ws.run(['sync'])).code).toBe(0);
      const path = join(ws.dir, CONTEXT);
      const first = await stat(path);
      const text = await readFile(path, 'utf8');

      const again = await ws.run(['sync', '--json']);
      expect(again.json<SyncJson>().agent_context.status).toBe('unchanged');
      expect((await stat(path)).mtimeMs).toBe(first.mtimeMs);
      expect(await readFile(path, 'utf8')).toBe(text);

      await writeTables(h.t.dataDir, 'shop', { refunds: { sql: 'SELECT range AS id FROM range(3)' } });
      await h.t.host.orchestrator.rebuild();
      const grown = await ws.run(['sync', '--json']);
      expect(grown.json<SyncJson>().agent_context).toMatchObject({ status: 'updated', tables: 3 });
      expect(listed(await readFile(path, 'utf8'))).toEqual(['customers', 'orders', 'refunds']);

      await admin(h, 'PUT', '/api/admin/registry/refunds', { is_public: false });
      const shrunk = await ws.run(['sync', '--json']);
      expect(shrunk.json<SyncJson>().agent_context).toMatchObject({ status: 'updated', tables: 2 });
      expect(listed(await readFile(path, 'utf8'))).toEqual(['customers', 'orders']);
    } finally {
      await admin(h, 'PUT', '/api/admin/registry/refunds', { is_public: true }).catch(() => undefined);
      await ws.cleanup();
    }
  });

  it('leaves a file of that name alone when AIDA did not write it', async () => {
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', h.url, '--token', h.analystToken]);
      await mkdir(join(ws.dir, '.claude', 'rules'), { recursive: true });
      await writeFile(join(ws.dir, CONTEXT), 'My own notes about our data.\n');
      const s = await ws.run(['sync', '--json']);
      expect(s.code, s.stderr).toBe(0);
      expect(s.json<SyncJson>().agent_context.status).toBe('kept_yours');
      expect(s.stderr).toMatch(/aida_data\.md was not written by da sync; it is left as it is/);
      expect(await readFile(join(ws.dir, CONTEXT), 'utf8')).toBe('My own notes about our data.\n');
    } finally {
      await ws.cleanup();
    }
  });
});

describe('the agent context file with 1,000 tables', () => {
  // Writing, serving and syncing 1,000 tables takes a while on a shared machine.
  it('stays within its size limit, still names every table, and says it is abridged', { timeout: 180_000 }, async () => {
    const tables: Record<string, TableSpec> = {};
    for (let i = 0; i < 1000; i++)
      tables[`table_${String(i).padStart(4, '0')}`] = { sql: `SELECT range AS id, 'x' || range AS label, range % 3 AS kind FROM range(${1 + (i % 5)})` };
    const h = await startDaHost(tables);
    const ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', h.url, '--token', h.analystToken]);
      const s = await ws.run(['sync', '--json', '--parallel', '16']);
      expect(s.code, s.stderr).toBe(0);
      const report = s.json<SyncJson>().agent_context;
      expect(report).toMatchObject({ status: 'written', tables: 1000 });
      expect(report.detail).not.toBe('full');
      const text = await readFile(join(ws.dir, CONTEXT), 'utf8');
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(BUDGET);
      expect(report.bytes).toBe(Buffer.byteLength(text));
      expect(listed(text)).toEqual(Object.keys(tables).sort());
      expect(text).toMatch(/This list is abridged to stay under its size limit/);
      expect(text).toMatch(/`describe_table` or `da explore <table>`/);
    } finally {
      await ws.cleanup();
      await h.stop();
    }
  });
});
