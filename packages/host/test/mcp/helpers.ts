import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ExtractWriter, type AnyPlugin } from '@aida/core';
import { startTestHost, type TestHost } from '@aida/host/testing';
import type { InlinePluginEntry } from '../../src/plugins/resolve.js';

/** Writes tables into a source's extract (SQL per table) and rebuilds the analytics database, as a connector's sync would. */
export async function writeTables(t: TestHost, source: string, tables: Record<string, string>): Promise<void> {
  const w = await ExtractWriter.open(join(t.dataDir, 'extracts', source));
  for (const [name, sql] of Object.entries(tables)) await w.writeTable(name, sql);
  await w.commit();
  await t.host.orchestrator.rebuild();
}

export const ORDERS_SQL = `SELECT range + 1 AS order_id, 'c' || (range % 37) AS customer, ((range * 7) % 100 + 0.5)::DECIMAL(8, 2) AS amount,
  TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (range) HOUR AS ordered_at, CASE WHEN range % 3 = 0 THEN NULL ELSE 'note ' || range END AS note FROM range(500)`;

/**
 * A host with `shop.orders` and `shop.customers` (public), `hr.salaries` (made private) and
 * `big.events` (100,000 rows), an admin's session token and nothing else.
 */
export async function mcpHost(options: { config?: Record<string, unknown>; plugins?: readonly (AnyPlugin | InlinePluginEntry)[] } = {}) {
  const t = await startTestHost({ config: { analytics: { profile_after_rebuild: false }, ...options.config }, plugins: options.plugins });
  await writeTables(t, 'shop', { orders: ORDERS_SQL, customers: `SELECT 'c' || range AS customer, 'Name ' || range AS name FROM range(37)` });
  await writeTables(t, 'hr', { salaries: `SELECT 'person ' || range AS person, 1000 + range AS salary FROM range(10)` });
  await writeTables(t, 'big', { events: `SELECT range AS event_id, 'kind_' || (range % 5) AS kind, range * 0.25 AS weight FROM range(100000)` });
  const admin = await t.asAdmin();
  const priv = await admin('/api/admin/registry/salaries', { method: 'PUT', body: JSON.stringify({ is_public: false }) });
  if (priv.status !== 200) throw new Error(`making salaries private: ${priv.status} ${await priv.text()}`);
  return { t, admin };
}

/** The SDK's own client over Streamable HTTP, with a bearer token (and any other headers). */
export async function mcpClient(t: TestHost, token: string | undefined, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'aida-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
    requestInit: { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } },
  });
  await client.connect(transport);
  return client;
}

/** A tool call's structured answer; throws with the tool's message when it answered an error. */
export async function callTool<T = any>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (r.isError) throw new Error(`${name} failed: ${(r.content[0] as { text: string }).text}`);
  return r.structuredContent as T;
}

/** A tool call that must fail: its message. */
export async function toolError(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (!r.isError) throw new Error(`${name} answered instead of failing: ${JSON.stringify(r.structuredContent).slice(0, 300)}`);
  return (r.content[0] as { text: string }).text;
}

/** POST /api/query as the REST API answers it. */
export async function restQuery(t: TestHost, token: string, sql: string, limit = 100_000): Promise<any> {
  const res = await t.request('/api/query', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sql, limit }),
  });
  return { status: res.status, json: await res.json() };
}

/** Audit rows of one action, newest first. */
export async function auditRows(t: TestHost, action: string): Promise<any[]> {
  const admin = await t.asAdmin();
  const res = await admin(`/api/admin/audit?action=${encodeURIComponent(action)}&limit=500`);
  const json = (await res.json()) as { items?: any[]; entries?: any[] };
  return json.items ?? json.entries ?? [];
}
