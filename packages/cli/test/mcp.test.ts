// `da mcp` as an agent meets it: the MCP SDK's own Client starts the real binary over stdio in a
// synced workspace whose server has been stopped, and every answer is checked against what
// `da query --json` says for the same SQL.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daBin, daWorkspace, startDaHost } from './helpers.js';

const tables = {
  orders: {
    sql: `SELECT range AS id, range % 7 AS customer, round(range * 1.5, 2) AS amount,
            CASE range % 3 WHEN 0 THEN 'open' WHEN 1 THEN 'paid' ELSE 'shipped' END AS status,
            CASE WHEN range % 2 = 0 THEN NULL ELSE 'note ' || range END AS note,
            DATE '2025-01-01' + (range % 365)::INT AS ordered_on
          FROM range(5000)`,
  },
  big: { sql: "SELECT range AS id, 'label-' || range AS label FROM range(100000)" },
  wide: { sql: "SELECT 1 AS id, repeat('x', 60000) AS body" },
  customers: { sql: "SELECT range AS id, 'customer ' || range AS name FROM range(7)" },
};

type Ws = Awaited<ReturnType<typeof daWorkspace>>;
interface ToolResult {
  isError?: boolean;
  content: { type: string; text: string }[];
  structuredContent?: Record<string, any>;
}

let ws: Ws;
let client: Client;
/** What the server has written to stderr so far. */
let serverLog: () => string;

async function connect(w: Ws, o: { command?: string; args?: string[]; env?: Record<string, string> } = {}): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: o.command ?? process.execPath,
    args: o.args ?? [daBin, 'mcp'],
    // The server must need nothing from the environment but its workspace.
    env: o.env ?? { ...w.env, PATH: process.env.PATH ?? '' },
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d));
  const c = new Client({ name: 'aida-test-agent', version: '1.0.0' });
  await c.connect(transport);
  return { client: c, stderr: () => err };
}

const call = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args }) as Promise<ToolResult>;

async function daQuery(sql: string): Promise<{ columns: { name: string; type: string }[]; rows: unknown[][] }> {
  const r = await ws.run(['query', sql, '--json', '--limit', '0']);
  expect(r.code, r.stderr).toBe(0);
  return r.json();
}

/** Every page of a query, following cursors to the end. */
async function allPages(sql: string): Promise<ToolResult[]> {
  const pages: ToolResult[] = [];
  let args: Record<string, unknown> = { sql };
  for (;;) {
    const page = await call('query', args);
    expect(page.isError, page.content[0]?.text).toBeFalsy();
    pages.push(page);
    const cursor = page.structuredContent!.cursor as string | null;
    if (!cursor) return pages;
    args = { cursor };
  }
}

describe('da mcp over a synced workspace, with the server stopped', () => {
  beforeAll(async () => {
    const h = await startDaHost(tables);
    ws = await daWorkspace();
    try {
      await ws.run(['login', '--server', h.url, '--token', h.analystToken]);
      const admin = { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' };
      const put = await fetch(`${h.url}/api/admin/registry/orders`, {
        method: 'PUT',
        headers: admin,
        body: JSON.stringify({ description: 'Orders placed in the web shop' }),
      });
      expect(put.status).toBe(200);
      const profiled = await fetch(`${h.url}/api/catalog/profile/orders/refresh`, { method: 'POST', headers: { authorization: `Bearer ${h.analystToken}` } });
      expect(profiled.status).toBe(200);
      const sync = await ws.run(['sync', '--json']);
      expect(sync.code, sync.stderr).toBe(0);
    } finally {
      await h.stop();
    }
    ({ client, stderr: serverLog } = await connect(ws));
  });
  afterAll(async () => {
    await client?.close();
    await ws?.cleanup();
  });

  it('initializes as a server with tools and resources, and logs to stderr only', async () => {
    expect(client.getServerVersion()).toMatchObject({ name: 'aida-local' });
    expect(client.getServerCapabilities()).toMatchObject({ tools: {}, resources: {} });
    expect(client.getInstructions()).toMatch(/list_tables/);
    // Anything but protocol on stdout would have failed the handshake; the log line is on stderr.
    expect(serverLog()).toMatch(/da mcp: serving 4 table\(s\) synced to/);
  });

  it('lists four read-only tools with one-line descriptions, input and output schemas', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['describe_table', 'list_tables', 'query', 'search_catalog']);
    for (const t of tools) {
      expect(t.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, openWorldHint: false });
      expect(t.description).toMatch(/^[^\n]{20,160}$/);
      expect(t.inputSchema.type).toBe('object');
      expect(t.outputSchema?.type).toBe('object');
    }
    const query = tools.find((t) => t.name === 'query')!;
    expect(Object.keys(query.inputSchema.properties ?? {}).sort()).toEqual(['cursor', 'sql']);
    expect(Object.keys(query.outputSchema?.properties ?? {})).toEqual(
      expect.arrayContaining(['columns', 'rows', 'row_count', 'total_rows', 'truncated', 'cursor']),
    );
    expect(tools.find((t) => t.name === 'list_tables')!.inputSchema.properties).toHaveProperty('bucket');
    // The whole tool list stays small: it is sent to the model with every turn.
    expect(JSON.stringify(tools).length).toBeLessThan(12_000);
  });

  it('list_tables shows the synced tables with the row counts da query counts, and filters', async () => {
    const all = await call('list_tables', {});
    expect(all.isError).toBeFalsy();
    const listed = all.structuredContent!.tables as { id: string; rows: number; description: string | null; source: string; updated: string }[];
    expect(listed.map((t) => t.id)).toEqual(['big', 'customers', 'orders', 'wide']);
    for (const t of listed) {
      expect((await daQuery(`SELECT count(*) AS n FROM ${t.id}`)).rows).toEqual([[t.rows]]);
      expect(t.source).toBe('shop');
      expect(Date.parse(t.updated)).toBeGreaterThan(0);
    }
    expect(JSON.parse(all.content[0].text)).toEqual(all.structuredContent);
    expect(all.structuredContent).toMatchObject({ count: 4, total: 4, truncated: false, cursor: null });
    const shop = await call('list_tables', { text: 'web shop' });
    expect((shop.structuredContent!.tables as { id: string }[]).map((t) => t.id)).toEqual(['orders']);
    expect((await call('list_tables', { source: 'shop', bucket: 'shop' })).structuredContent!.total).toBe(4);
    expect((await call('list_tables', { bucket: 'elsewhere' })).structuredContent!.total).toBe(0);
  });

  it('describe_table gives the columns and types a query sees, the saved profile and freshness', async () => {
    const d = await call('describe_table', { table: 'orders' });
    expect(d.isError, d.content[0]?.text).toBeFalsy();
    const t = d.structuredContent!;
    const described = (await daQuery('DESCRIBE orders')).rows.map((r) => [r[0], r[1]]);
    expect(t.columns.map((c: { name: string; type: string }) => [c.name, c.type])).toEqual(described);
    expect(t).toMatchObject({ id: 'orders', rows: 5000, description: 'Orders placed in the web shop', profile: { sampled: false, stale: false } });
    expect(Date.parse(t.synced_at)).toBeGreaterThan(0);
    const notes = Object.fromEntries(t.columns.map((c: { name: string; notes?: string[] }) => [c.name, c.notes ?? []]));
    expect(notes.id).toContain('unique');
    expect(notes.status).toContain('values: open, paid, shipped');
    expect(notes.note).toContain('50% null');
    // A table without a profile is still described from the database.
    const big = await call('describe_table', { table: 'big' });
    expect(big.structuredContent).toMatchObject({
      id: 'big',
      profile: null,
      columns: [
        { name: 'id', type: 'BIGINT' },
        { name: 'label', type: 'VARCHAR' },
      ],
    });
    const missing = await call('describe_table', { table: 'salaries' });
    expect(missing.isError).toBe(true);
    expect(missing.content[0].text).toMatch(/No table 'salaries' on this laptop: list_tables/);
  });

  it('search_catalog finds tables and columns by words, best first', async () => {
    const s = await call('search_catalog', { text: 'orders amount' });
    const matches = s.structuredContent!.matches as { table: string; column: string | null }[];
    expect(matches[0]).toMatchObject({ table: 'orders', column: 'amount' });
    expect(matches).toContainEqual(expect.objectContaining({ table: 'orders', column: null }));
    const label = await call('search_catalog', { text: 'label' });
    expect((label.structuredContent!.matches as { table: string; column: string }[]).map((m) => `${m.table}.${m.column}`)).toEqual(['big.label']);
  });

  it('query answers exactly what da query --json answers, values and types included', async () => {
    for (const sql of [
      'SELECT * FROM orders ORDER BY id LIMIT 50',
      'SELECT status, count(*) AS n, sum(amount) AS total FROM orders GROUP BY status ORDER BY status',
      "SELECT DATE '2025-01-02' AS d, TIMESTAMP '2025-01-02 03:04:05' AS ts, INTERVAL 3 DAY AS i, 9007199254740993::BIGINT AS big, 1.25::DECIMAL(10,2) AS dec, [1, 2] AS list, {'a': 1} AS st, NULL AS nothing",
      'SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer WHERE o.id < 10 ORDER BY o.id',
      'WITH x AS (SELECT 1 AS a, 2 AS a) SELECT * FROM x',
    ]) {
      const r = await call('query', { sql });
      expect(r.isError, `${sql}: ${r.content[0]?.text}`).toBeFalsy();
      const local = await daQuery(sql);
      expect(r.structuredContent!.columns, sql).toEqual(local.columns);
      expect(r.structuredContent!.rows, sql).toEqual(local.rows);
      expect(r.structuredContent).toMatchObject({ row_count: local.rows.length, total_rows: local.rows.length, truncated: false, cursor: null });
      expect(JSON.parse(r.content[0].text)).toEqual(r.structuredContent);
    }
  });

  it('pages through a 100,000-row result by cursor: every page within budget, nothing lost or repeated', async () => {
    const sql = 'SELECT * FROM big ORDER BY id DESC';
    const pages = await allPages(sql);
    expect(pages.length).toBeGreaterThan(10);
    let offset = 0;
    for (const [i, p] of pages.entries()) {
      expect(p.content[0].text.length).toBeLessThanOrEqual(50_000);
      expect(p.structuredContent).toMatchObject({ offset, total_rows: 100_000, truncated: i < pages.length - 1 });
      if (i < pages.length - 1) expect(p.structuredContent!.note).toMatch(/nothing was cut/);
      offset += p.structuredContent!.row_count as number;
    }
    const rows = pages.flatMap((p) => p.structuredContent!.rows as unknown[][]);
    expect(rows).toEqual((await daQuery(sql)).rows);
    // Without ORDER BY too: each row exactly once.
    const unordered = (await allPages('SELECT id FROM big')).flatMap((p) => (p.structuredContent!.rows as number[][]).map((r) => r[0]));
    expect(unordered).toHaveLength(100_000);
    expect(new Set(unordered).size).toBe(100_000);
  });

  it('refuses what cannot fit, or is not one read-only SELECT, with guidance instead of a cut result', async () => {
    const wide = await call('query', { sql: 'SELECT * FROM wide' });
    expect(wide.isError).toBe(true);
    expect(wide.content[0].text).toMatch(/Row 1 alone is 60,0\d\d characters .*select fewer columns, or shorten long values/);
    expect((await call('query', { sql: 'SELECT id, left(body, 100) AS body FROM wide' })).isError).toBeFalsy();

    const huge = await call('query', { sql: 'SELECT * FROM range(3000000)' });
    expect(huge.isError).toBe(true);
    expect(huge.content[0].text).toMatch(/more than 1,000,000 rows: too large to page through: add a LIMIT, aggregate/);

    for (const [sql, why] of [
      ['CREATE TABLE x AS SELECT 1 AS a', /CREATE statement; only one read-only SELECT/],
      ['DROP VIEW orders', /DROP statement; only one read-only SELECT/],
      // Refused twice over: by the lock-down when it binds the file, by the statement check otherwise.
      ["COPY orders TO 'out.csv'", /COPY statement; only one read-only SELECT|file system operations are disabled/],
      ['SELECT 1; SELECT 2', /holds 2 statements/],
      ["SELECT * FROM read_csv('/etc/passwd')", /Permission Error|disabled by configuration/],
      ["SELECT * FROM read_text('user/duckdb/analytics.duckdb')", /Permission Error|disabled by configuration/],
      ['SELECT * FROM salaries', /salaries does not exist[\s\S]*Hint: list_tables shows the tables/],
    ] as const) {
      const r = await call('query', { sql });
      expect(r.isError, sql).toBe(true);
      expect(r.content[0].text, sql).toMatch(why);
    }
    const stale = await call('query', { cursor: Buffer.from(JSON.stringify({ v: 1, t: 'query', k: 'gone', o: 10 })).toString('base64url') });
    expect(stale.content[0].text).toMatch(/no longer kept.*run the query again/);
    const alien = await call('query', { cursor: 'not-a-cursor' });
    expect(alien.content[0].text).toMatch(/not one this server issued/);
  });

  it('serves aida://tables/{name} as markdown with the schema and the profile', async () => {
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['aida://tables/{name}']);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri).sort()).toEqual(['aida://tables/big', 'aida://tables/customers', 'aida://tables/orders', 'aida://tables/wide']);
    const r = await client.readResource({ uri: 'aida://tables/orders' });
    const text = (r.contents[0] as { text: string }).text;
    expect(text).toMatch(/^# orders\n\nOrders placed in the web shop\n\n5,000 rows/);
    expect(text).toMatch(/\| `status` \| VARCHAR \| 0 \| 3 \|.*values: open, paid, shipped \|/);
  });

  it('holds no lock between calls: da can write to the database while an agent is connected', async () => {
    const own = await ws.run(['query', 'CREATE OR REPLACE TABLE mine AS SELECT 42 AS answer']);
    expect(own.code, own.stderr).toBe(0);
    const r = await call('query', { sql: 'SELECT answer FROM mine' });
    expect(r.structuredContent!.rows).toEqual([[42]]);
    expect(serverLog()).toMatch(/da mcp: query \d+ ms/);
  });

  it('--print-config prints a configuration that starts this server', async () => {
    const printed = await ws.run(['mcp', '--print-config', '--json']);
    expect(printed.code, printed.stderr).toBe(0);
    const cfg = printed.json<{
      server: { command: string; args: string[]; env: Record<string, string> };
      claude_code: { command_line: string; mcp_json: { mcpServers: { aida: { type: string; command: string } } } };
      claude_desktop: { config: { mcpServers: { aida: unknown } } };
      cursor: { config: { mcpServers: { aida: unknown } } };
    }>();
    expect(cfg.server).toEqual({ command: process.execPath, args: [daBin, 'mcp'], env: { DA_LOCAL_DIR: ws.dir } });
    expect(cfg.claude_code.command_line).toMatch(/^claude mcp add --transport stdio --scope project --env DA_LOCAL_DIR=\S+ aida -- \S+ \S+main\.js mcp$/);
    expect(cfg.claude_code.mcp_json.mcpServers.aida).toMatchObject({ type: 'stdio', command: process.execPath });
    expect(cfg.claude_desktop.config.mcpServers.aida).toEqual({ command: process.execPath, args: [daBin, 'mcp'], env: { DA_LOCAL_DIR: ws.dir } });
    expect(cfg.cursor.config).toEqual(cfg.claude_desktop.config);
    const human = await ws.run(['mcp', '--print-config']);
    expect(human.stdout).toMatch(/Claude Code.*\n {2}claude mcp add/);
    expect(human.stdout).toMatch(/Claude Desktop — merge into/);

    // Exactly as printed (no PATH, started from another folder): it serves this workspace.
    const other = await connect(ws, { command: cfg.server.command, args: cfg.server.args, env: cfg.server.env });
    try {
      const listed = (await other.client.callTool({ name: 'list_tables', arguments: {} })) as ToolResult;
      expect(listed.structuredContent!.total).toBe(4);
    } finally {
      await other.client.close();
    }
  });

  it('stops a query that runs past --timeout, and takes a smaller answer budget from --max-chars', async () => {
    const c = await connect(ws, { args: [daBin, 'mcp', '--timeout', '1', '--max-chars', '2000'] });
    try {
      const started = Date.now();
      const slow = (await c.client.callTool({ name: 'query', arguments: { sql: 'SELECT sum(hash(range)) FROM range(100000000000)' } })) as ToolResult;
      expect(slow.isError).toBe(true);
      expect(slow.content[0].text).toMatch(/ran longer than 1 s and was stopped\nHint: filter with WHERE, aggregate, or add a LIMIT/);
      expect(Date.now() - started).toBeLessThan(10_000);
      const page = (await c.client.callTool({ name: 'query', arguments: { sql: 'SELECT * FROM customers ORDER BY id' } })) as ToolResult;
      expect(page.content[0].text.length).toBeLessThanOrEqual(2000);
    } finally {
      await c.client.close();
    }
    const bad = await ws.run(['mcp', '--max-chars', '10']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-chars must be a whole number ≥ 2000/);
  });

  it('says when there is nothing synced yet', async () => {
    const empty = await daWorkspace();
    try {
      const c = await connect(empty);
      try {
        const listed = (await c.client.callTool({ name: 'list_tables', arguments: {} })) as ToolResult;
        expect(listed.structuredContent).toMatchObject({ tables: [], total: 0 });
        const q = (await c.client.callTool({ name: 'query', arguments: { sql: 'SELECT 1' } })) as ToolResult;
        expect(q.isError).toBe(true);
        expect(q.content[0].text).toMatch(/^No local database in .*\nHint: run da sync/);
        expect(c.stderr()).toMatch(/no tables synced to .* yet: run da sync/);
      } finally {
        await c.client.close();
      }
    } finally {
      await empty.cleanup();
    }
  });

  it('keeps the saved catalog for offline descriptions', async () => {
    const saved = JSON.parse(await readFile(join(ws.dir, 'server', 'catalog.json'), 'utf8')) as { tables: Record<string, { description: string | null }> };
    expect(saved.tables.orders.description).toBe('Orders placed in the web shop');
  });
});
