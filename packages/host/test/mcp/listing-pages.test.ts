import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { MCP_MIN_RESULT_BUDGET_CHARS } from '@aida/core';
import type { AuthenticatedFetch, TestHost } from '@aida/host/testing';
import { startTestHost } from '@aida/host/testing';
import { callTool, mcpClient, toolError, writeTables } from './helpers.js';

let t: TestHost;
let admin: AuthenticatedFetch;
let analyst: AuthenticatedFetch;
let client: Client;

beforeAll(async () => {
  t = await startTestHost({ config: { analytics: { profile_after_rebuild: false }, mcp: { result_budget: MCP_MIN_RESULT_BUDGET_CHARS } } });
  await writeTables(t, 'many', Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`table_${String(i).padStart(2, '0')}`, `SELECT ${i} AS value_${i}`])));
  admin = await t.asAdmin();
  analyst = await t.asUser('analyst');
  client = await mcpClient(t, analyst.token);
});
afterAll(async () => {
  await client?.close();
  await t?.stop();
});

describe('listings over more than one answer (mcp.result_budget: 2000)', () => {
  it('list_tables pages through every table by cursor, each page within the budget', async () => {
    const seen: string[] = [];
    let page = await callTool(client, 'list_tables');
    for (;;) {
      expect(JSON.stringify(page).length).toBeLessThanOrEqual(MCP_MIN_RESULT_BUDGET_CHARS);
      seen.push(...page.tables.map((x: { id: string }) => x.id));
      if (!page.truncated) break;
      page = await callTool(client, 'list_tables', { cursor: page.cursor });
    }
    expect(seen).toHaveLength(40);
    expect(new Set(seen).size).toBe(40);
  });

  it('refuses a cursor from before the catalog changed (here: a table made private) instead of mixing two catalogs', async () => {
    const first = await callTool(client, 'list_tables');
    expect(first.truncated).toBe(true);
    const res = await admin('/api/admin/registry/table_39', { method: 'PUT', body: JSON.stringify({ is_public: false }) });
    expect(res.status).toBe(200);
    expect(await toolError(client, 'list_tables', { cursor: first.cursor })).toMatch(
      /catalog changed since the first page: call list_tables again without a cursor/,
    );
    expect((await callTool(client, 'list_tables')).total).toBe(39);
  });
});
