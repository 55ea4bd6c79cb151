import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { AuthenticatedFetch, TestHost } from '@aida/host/testing';
import { callTool, mcpClient, mcpHost, toolError } from './helpers.js';

let t: TestHost;
let admin: AuthenticatedFetch;
let analyst: AuthenticatedFetch;
let client: Client;

const ids = (tables: { id: string }[]) => tables.map((x) => x.id);

beforeAll(async () => {
  ({ t, admin } = await mcpHost());
  analyst = await t.asUser('analyst');
  client = await mcpClient(t, analyst.token);
});
afterAll(async () => {
  await client?.close();
  await t?.stop();
});

describe('an analyst without a grant never sees a private table through any MCP tool', () => {
  it('list_tables and the REST catalog both leave it out', async () => {
    const rest = (await (await analyst('/api/catalog/tables')).json()) as { tables: { id: string }[] };
    const listed = await callTool(client, 'list_tables');
    expect(ids(listed.tables)).not.toContain('salaries');
    expect(ids(listed.tables)).toEqual(ids(rest.tables));
    expect((await callTool(client, 'list_tables', { source: 'hr' })).total).toBe(0);
    expect((await callTool(client, 'list_tables', { text: 'salaries' })).total).toBe(0);
  });

  it('describe_table answers as for a table that does not exist', async () => {
    const hidden = await toolError(client, 'describe_table', { table: 'salaries' });
    const missing = await toolError(client, 'describe_table', { table: 'no_such_table' });
    expect(hidden).toBe(missing.replace('no_such_table', 'salaries'));
    expect(hidden).toMatch(/request_access/);
  });

  it('search_catalog finds neither the table nor its columns', async () => {
    expect((await callTool(client, 'search_catalog', { text: 'salaries salary person' })).matches).toEqual([]);
  });

  it('query refuses it however it is named: directly, joined, in a CTE or a subquery', async () => {
    for (const sql of [
      'SELECT * FROM salaries',
      'SELECT o.* FROM orders o JOIN salaries s ON true',
      'WITH x AS (SELECT * FROM SALARIES) SELECT count(*) FROM x',
      'SELECT (SELECT max(salary) FROM salaries) AS m',
      'DESCRIBE salaries',
    ]) {
      expect(await toolError(client, 'query', { sql }), sql).toMatch(/No table 'salaries' that you can read/i);
    }
  });

  it('the table resource is not listed and cannot be read', async () => {
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).not.toContain('aida://tables/salaries');
    await expect(client.readResource({ uri: 'aida://tables/salaries' })).rejects.toThrow(/No table 'salaries' that you can read/);
  });

  it('once an admin grants read, every tool shows it', async () => {
    const granted = await admin('/api/admin/permissions', {
      method: 'POST',
      body: JSON.stringify({ user_id: analyst.user.id, dataset: 'salaries', access: 'read' }),
    });
    expect(granted.status).toBeLessThan(300);
    expect(ids((await callTool(client, 'list_tables')).tables)).toContain('salaries');
    expect((await callTool(client, 'describe_table', { table: 'salaries' })).rows).toBe(10);
    expect((await callTool(client, 'query', { sql: 'SELECT count(*) AS n FROM salaries' })).rows).toEqual([[10]]);
    expect((await callTool(client, 'search_catalog', { text: 'salary' })).matches[0]).toMatchObject({ table: 'salaries', column: 'salary' });
    const read = await client.readResource({ uri: 'aida://tables/salaries' });
    expect((read.contents[0] as { text: string }).text).toMatch(/^# salaries/);
  });
});
