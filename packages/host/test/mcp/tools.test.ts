import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { MCP_TOOLS } from '@aida/core';
import type { AuthenticatedFetch, TestHost } from '@aida/host/testing';
import { testStateOnPostgres } from '../../src/testing/test-state.js';
import { auditRows, callTool, mcpClient, mcpHost, restQuery, toolError } from './helpers.js';

/** State on PostgreSQL (several hosts may serve one agent): stateless Streamable HTTP, no sessions. */
const stateless = testStateOnPostgres();

let t: TestHost;
let admin: AuthenticatedFetch;
let analyst: AuthenticatedFetch;
let client: Client;

beforeAll(async () => {
  ({ t, admin } = await mcpHost());
  analyst = await t.asUser('analyst');
  client = await mcpClient(t, analyst.token);
});
afterAll(async () => {
  await client?.close();
  await t?.stop();
});

describe('/mcp with the SDK client over Streamable HTTP', () => {
  it('initializes on the protocol version the client asks for (2025-06-18 or newer) and names the server', async () => {
    expect(client.getServerVersion()).toMatchObject({ name: 'aida' });
    expect(client.getServerCapabilities()).toMatchObject({ tools: {}, resources: {} });
    expect(client.getInstructions()).toMatch(/list_tables/);
    for (const version of ['2025-06-18', LATEST_PROTOCOL_VERSION]) {
      const res = await t.request('/mcp', {
        method: 'POST',
        headers: { authorization: `Bearer ${analyst.token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
        }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(((await res.json()) as { result: { protocolVersion: string } }).result.protocolVersion).toBe(version);
    }
  });

  it('lists the shared tools with their schemas and read-only hints, plus request_access', async () => {
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((x) => [x.name, x]));
    expect([...byName.keys()].sort()).toEqual(['describe_table', 'list_tables', 'query', 'request_access', 'search_catalog']);
    for (const shared of Object.values(MCP_TOOLS)) {
      const listed = byName.get(shared.name)!;
      expect(listed.description).toBe(shared.description);
      expect(listed.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, title: shared.title });
      expect(listed.inputSchema.type).toBe('object');
      expect(listed.outputSchema?.type).toBe('object');
    }
    expect(Object.keys(byName.get('query')!.inputSchema.properties ?? {}).sort()).toEqual(['cursor', 'sql']);
    expect(byName.get('request_access')!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
  });

  it('list_tables shows the tables GET /api/catalog/tables shows, with rows and freshness', async () => {
    const rest = (await (await analyst('/api/catalog/tables')).json()) as { tables: { id: string; rows: number; updated: string }[] };
    const listed = await callTool(client, 'list_tables');
    expect(listed.tables.map((x: { id: string }) => x.id)).toEqual(rest.tables.map((x) => x.id));
    expect(listed).toMatchObject({ total: rest.tables.length, truncated: false, cursor: null });
    const orders = listed.tables.find((x: { id: string }) => x.id === 'orders');
    expect(orders).toMatchObject({ source: 'shop', rows: 500 });
    expect(new Date(orders.updated).getTime()).toBe(new Date(rest.tables.find((x) => x.id === 'orders')!.updated).getTime());
    const filtered = await callTool(client, 'list_tables', { source: 'shop' });
    expect(filtered.tables.map((x: { id: string }) => x.id).sort()).toEqual(['customers', 'orders']);
    expect((await callTool(client, 'list_tables', { text: 'event' })).tables.map((x: { id: string }) => x.id)).toEqual(['events']);
  });

  it('describe_table gives columns with DuckDB types, the profile summary and notes, row count and freshness', async () => {
    // describe_table reads stored profiles (the host computes them after rebuilds); this one is computed on demand first.
    const profile = (await (await analyst('/api/catalog/profile/orders')).json()) as { profiled_at: string };
    const d = await callTool(client, 'describe_table', { table: 'orders' });
    expect(d).toMatchObject({ id: 'orders', rows: 500, source: 'shop', synced_at: null });
    expect(d.columns.map((c: { name: string; type: string }) => [c.name, c.type])).toEqual([
      ['order_id', 'BIGINT'],
      ['customer', 'VARCHAR'],
      ['amount', 'DECIMAL(8,2)'],
      ['ordered_at', 'TIMESTAMP'],
      ['note', 'VARCHAR'],
    ]);
    expect(d.profile).toMatchObject({ profiled_at: profile.profiled_at, sampled: false });
    const byName = Object.fromEntries(d.columns.map((c: { name: string }) => [c.name, c]));
    expect(byName.order_id.notes).toContain('unique');
    expect(byName.note.null_pct).toBeCloseTo(33.4, 1);
    expect(byName.note.notes).toContain('33% null');
  });

  it('search_catalog finds tables and columns by words', async () => {
    const found = await callTool(client, 'search_catalog', { text: 'orders amount' });
    expect(found.matches[0]).toMatchObject({ table: 'orders', column: 'amount', type: 'DECIMAL(8,2)' });
    expect(found.matches.some((m: { table: string; column: string | null }) => m.table === 'orders' && m.column === null)).toBe(true);
  });

  it('query answers what POST /api/query answers for the same SQL, values as their JSON text', async () => {
    const sql = 'SELECT order_id, customer, amount, ordered_at, note FROM orders WHERE order_id <= 40 ORDER BY order_id';
    const rest = await restQuery(t, analyst.token, sql);
    expect(rest.status).toBe(200);
    const q = await callTool(client, 'query', { sql });
    expect(q.columns).toEqual(rest.json.columns);
    expect(q.rows).toEqual(rest.json.rows);
    expect(q).toMatchObject({ row_count: 40, total_rows: 40, truncated: false, cursor: null, offset: 0 });
    const agg = 'SELECT customer, count(*) AS n, sum(amount) AS total FROM orders GROUP BY 1 ORDER BY 1';
    expect((await callTool(client, 'query', { sql: agg })).rows).toEqual((await restQuery(t, analyst.token, agg)).json.rows);
  });

  it('query refuses what POST /api/query refuses, as a tool error that says why', async () => {
    expect(await toolError(client, 'query', { sql: 'DELETE FROM orders' })).toMatch(/SELECT/);
    expect(await toolError(client, 'query', { sql: "SELECT * FROM read_csv('/etc/passwd')" })).toMatch(/read_csv|function/i);
    expect(await toolError(client, 'query', {})).toMatch(/Send sql/);
  });

  it('serves aida://tables/{name} as markdown, listed for the tables the caller reads', async () => {
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((r) => r.uriTemplate)).toEqual(['aida://tables/{name}']);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain('aida://tables/orders');
    const read = await client.readResource({ uri: 'aida://tables/orders' });
    const text = (read.contents[0] as { text: string }).text;
    expect(text).toMatch(/^# orders/);
    expect(text).toContain('| `amount` | DECIMAL(8,2) |');
    expect(text).toContain('500 rows');
  });

  it('request_access files an access request as POST /api/access-requests does', async () => {
    const filed = await callTool(client, 'request_access', { table: 'salaries', reason: 'budget review' });
    expect(filed).toMatchObject({ table_id: 'salaries', status: 'pending' });
    const mine = (await (await analyst('/api/access-requests/my')).json()) as { requests: { id: string; reason: string }[] };
    expect(mine.requests.find((r) => r.id === filed.id)).toMatchObject({ reason: 'budget review' });
    expect(await toolError(client, 'request_access', { table: 'salaries' })).toMatch(/already have a pending request/);
    expect(await toolError(client, 'request_access', { table: 'orders' })).toMatch(/already read/);
  });

  it('audits every tool call like an API call: who, which tool, status, duration, request id', async () => {
    const c = await mcpClient(t, analyst.token);
    await callTool(c, 'list_tables');
    await toolError(c, 'describe_table', { table: 'salaries' });
    await c.close();
    const listed = await auditRows(t, 'MCP list_tables');
    expect(listed[0]).toMatchObject({ user_id: analyst.user.id, resource: '/mcp/tools/list_tables', status: 200 });
    expect(listed[0].request_id).toEqual(expect.any(String));
    const refused = await auditRows(t, 'MCP describe_table');
    expect(refused[0]).toMatchObject({ user_id: analyst.user.id, status: 403 });
    expect((await auditRows(t, 'MCP resources/read'))[0]).toMatchObject({ resource: 'aida://tables/orders', status: 200 });
    expect((await auditRows(t, 'POST /mcp')).length).toBeGreaterThan(0);
  });
});

describe('/mcp authentication, origin and sessions', () => {
  const initialize = (headers: Record<string, string>) =>
    t.request('/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl', version: '1' } },
      }),
    });

  it('answers 401 with WWW-Authenticate naming the protected resource metadata without a token', async () => {
    const res = await initialize({});
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${t.url}/.well-known/oauth-protected-resource"`);
    expect(((await res.json()) as { code: string }).code).toBe('AIDA_MCP_TOKEN_REQUIRED');
    const bad = await initialize({ authorization: 'Bearer not-a-token' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    await expect(mcpClient(t, undefined)).rejects.toThrow();
  });

  it('never takes the portal cookie in place of a bearer token', async () => {
    const res = await initialize({ cookie: `access_token=${analyst.token}` });
    expect(res.status).toBe(401);
  });

  it('accepts a personal access token', async () => {
    const created = (await (await analyst('/auth/tokens', { method: 'POST', body: JSON.stringify({ name: 'agent' }) })).json()) as { token: string };
    const c = await mcpClient(t, created.token);
    expect((await callTool(c, 'list_tables')).total).toBeGreaterThan(0);
    await c.close();
  });

  it('refuses a page of another web origin, and lets the own origin and agents without Origin in', async () => {
    const wrong = await initialize({ authorization: `Bearer ${analyst.token}`, origin: 'https://evil.example' });
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { code: string }).code).toBe('AIDA_MCP_ORIGIN_REFUSED');
    const own = await initialize({ authorization: `Bearer ${analyst.token}`, origin: t.url });
    expect(own.status).toBe(200);
    expect(own.headers.get('mcp-session-id')).toEqual(stateless ? null : expect.any(String));
  });

  it.runIf(stateless)('with the state on PostgreSQL, serves every request on its own: no session id, no initialize needed first', async () => {
    const list = await t.request('/mcp', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${analyst.token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(list.status).toBe(200);
    expect(list.headers.get('mcp-session-id')).toBeNull();
    const names = ((await list.json()) as { result: { tools: { name: string }[] } }).result.tools.map((x) => x.name);
    expect(names).toContain('query');
  });

  it.skipIf(stateless)("keeps a session to its owner: another user's token with its id gets 404", async () => {
    const res = await initialize({ authorization: `Bearer ${analyst.token}` });
    const session = res.headers.get('mcp-session-id')!;
    const other = await t.asUser('analyst');
    const stolen = await t.request('/mcp', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${other.token}`,
        'mcp-session-id': session,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(stolen.status).toBe(404);
  });

  it('answers GET with 405: there is no server-to-client stream', async () => {
    const res = await t.request('/mcp', { headers: { authorization: `Bearer ${analyst.token}`, accept: 'text/event-stream' } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, DELETE');
  });

  it.skipIf(stateless)('ends a session on DELETE, after which its id is unknown', async () => {
    const c = await mcpClient(t, analyst.token);
    const transport = c.transport as unknown as { sessionId: string; terminateSession(): Promise<void> };
    const id = transport.sessionId;
    await transport.terminateSession();
    const after = await t.request('/mcp', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${analyst.token}`,
        'mcp-session-id': id,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
    });
    expect(after.status).toBe(404);
  });

  it('a viewer gets the read tools without query', async () => {
    const viewer = await t.asUser('viewer');
    const c = await mcpClient(t, viewer.token);
    const names = (await c.listTools()).tools.map((x) => x.name);
    expect(names).toContain('list_tables');
    expect(names).not.toContain('query');
    await c.close();
  });

  it('admin sees what the admin may read: salaries is listed for the admin', async () => {
    const c = await mcpClient(t, admin.token);
    expect((await callTool(c, 'list_tables')).tables.map((x: { id: string }) => x.id)).toContain('salaries');
    await c.close();
  });
});
