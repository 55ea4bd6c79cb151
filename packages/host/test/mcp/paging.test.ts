import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { MCP_RESULT_BUDGET_CHARS } from '@aida/core';
import type { AuthenticatedFetch, TestHost } from '@aida/host/testing';
import { callTool, mcpClient, mcpHost, restQuery, toolError, writeTables } from './helpers.js';

let t: TestHost;
let analyst: AuthenticatedFetch;
let client: Client;

beforeAll(async () => {
  ({ t } = await mcpHost());
  await writeTables(t, 'wide', {
    blobs: `SELECT range AS id, CASE WHEN range = 3 THEN repeat('x', 60000) ELSE 'short' END AS body FROM range(10)`,
    many_columns: `SELECT ${Array.from({ length: 2500 }, (_, i) => `${i} AS column_with_a_rather_long_name_${i}`).join(', ')}`,
  });
  analyst = await t.asUser('analyst');
  client = await mcpClient(t, analyst.token);
});
afterAll(async () => {
  await client?.close();
  await t?.stop();
});

describe('the query tool pages big results and refuses what cannot fit', () => {
  it('pages through 100,000 rows by cursor, each page within the budget, nothing lost or repeated, as POST /api/query answers them', async () => {
    const sql = 'SELECT event_id, kind, weight FROM events ORDER BY event_id';
    const rows: unknown[][] = [];
    let page = await callTool(client, 'query', { sql });
    let pages = 1;
    expect(page).toMatchObject({ total_rows: 100_000, truncated: true, offset: 0 });
    expect(page.note).toMatch(/nothing was cut/);
    for (;;) {
      expect(JSON.stringify(page).length).toBeLessThanOrEqual(MCP_RESULT_BUDGET_CHARS);
      expect(page.offset).toBe(rows.length);
      expect(page.row_count).toBe(page.rows.length);
      rows.push(...page.rows);
      if (!page.truncated) break;
      page = await callTool(client, 'query', { cursor: page.cursor });
      pages++;
    }
    expect(page.cursor).toBeNull();
    expect(pages).toBeGreaterThan(20);
    expect(rows).toHaveLength(100_000);
    expect(new Set(rows.map((r) => r[0])).size).toBe(100_000);
    const rest = await restQuery(t, analyst.token, sql, 100_000);
    expect(rest.json.truncated).toBe(false);
    expect(rows).toEqual(rest.json.rows);
  });

  it("refuses another user's cursor and a cursor of another tool", async () => {
    const first = await callTool(client, 'query', { sql: 'SELECT * FROM events' });
    const other = await mcpClient(t, (await t.asUser('analyst')).token);
    expect(await toolError(other, 'query', { cursor: first.cursor })).toMatch(/no longer kept.*run the query again/);
    expect(await toolError(client, 'list_tables', { cursor: first.cursor })).toMatch(/belongs to query/);
    expect(await toolError(client, 'query', { cursor: 'bm90LWEtY3Vyc29y' })).toMatch(/not one this server issued/);
    await other.close();
  });

  it('refuses a row larger than one answer when its page comes, with what to do instead', async () => {
    // The rows before it fit and come back; the page that would start with it is refused.
    const first = await callTool(client, 'query', { sql: 'SELECT * FROM blobs ORDER BY id' });
    expect(first).toMatchObject({ row_count: 3, total_rows: 10, truncated: true });
    const text = await toolError(client, 'query', { cursor: first.cursor });
    expect(text).toMatch(/Row 4 alone is 60,0\d\d characters of JSON, more than one answer may hold \(50,000\)/);
    expect(text).toMatch(/select fewer columns, or shorten long values/);
    const ok = await callTool(client, 'query', { sql: 'SELECT id, left(body, 20) AS body FROM blobs ORDER BY id' });
    expect(ok).toMatchObject({ row_count: 10, truncated: false });
  });

  it('refuses a result whose column list alone exceeds the budget', async () => {
    expect(await toolError(client, 'query', { sql: 'SELECT * FROM many_columns' })).toMatch(/2,500 columns.*select fewer columns/);
  });

  it('refuses a result past the paging limit instead of cutting it, pointing to aggregation and the CLI', async () => {
    const text = await toolError(client, 'query', { sql: 'SELECT a.event_id, b.event_id FROM events a, (SELECT event_id FROM events LIMIT 20) b' });
    expect(text).toMatch(/more than 1,000,000 rows.*too large to page through/);
    expect(text).toMatch(/add a LIMIT, aggregate/);
    expect(text).toMatch(/da query -f csv/);
  });

  it('refuses to describe a table wider than one answer, with a query that lists its columns', async () => {
    const text = await toolError(client, 'describe_table', { table: 'many_columns' });
    expect(text).toMatch(/many_columns has 2500 columns/);
    const sql = /query: (SELECT .*)$/.exec(text)![1]!;
    const listed = await callTool(client, 'query', { sql });
    expect(listed.total_rows).toBe(2500);
  });
});
