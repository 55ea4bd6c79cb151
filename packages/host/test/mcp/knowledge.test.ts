import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import memoryPlugin from '@aida/plugin-memory';
import type { AuthenticatedFetch, TestHost } from '@aida/host/testing';
import { auditRows, callTool, mcpClient, mcpHost } from './helpers.js';

let t: TestHost;
let analyst: AuthenticatedFetch;
let kmAdmin: AuthenticatedFetch;
let client: Client;

async function propose(who: AuthenticatedFetch, title: string, content: string): Promise<string> {
  const res = await who('/api/memory', { method: 'POST', body: JSON.stringify({ title, content, category: 'business_logic' }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function govern(action: 'approve' | 'mandate', id: string): Promise<void> {
  const res = await kmAdmin(`/api/memory/admin/${action}`, { method: 'POST', body: JSON.stringify({ item_id: id }) });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  ({ t } = await mcpHost({ plugins: [{ plugin: memoryPlugin, config: {} }] }));
  analyst = await t.asUser('analyst');
  kmAdmin = await t.asUser('km_admin');
  await govern('approve', await propose(kmAdmin, 'Revenue excludes refunds', 'Use orders.amount minus refunds when computing revenue.'));
  await govern('mandate', await propose(kmAdmin, 'Fiscal year', 'The fiscal year starts in February.'));
  await propose(kmAdmin, 'Still pending', 'Nobody reviewed this one yet.');
  client = await mcpClient(t, analyst.token);
});
afterAll(async () => {
  await client?.close();
  await t?.stop();
});

describe('the knowledge tools over the memory plugin', () => {
  it('are listed when the plugin is installed, propose_knowledge with the plugin’s own input schema', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((x) => x.name);
    expect(names).toEqual(expect.arrayContaining(['get_knowledge', 'propose_knowledge']));
    const propose = tools.find((x) => x.name === 'propose_knowledge')!;
    expect(Object.keys(propose.inputSchema.properties ?? {}).sort()).toEqual(['category', 'content', 'tags', 'title']);
    expect(propose.annotations).toMatchObject({ readOnlyHint: false });
    expect(tools.find((x) => x.name === 'get_knowledge')!.annotations).toMatchObject({ readOnlyHint: true });
  });

  it('get_knowledge without words is the bundle GET /api/memory/bundle gives: required first, nothing pending', async () => {
    const bundle = (await (await analyst('/api/memory/bundle')).json()) as { required: { id: string }[]; approved: { id: string }[] };
    const k = await callTool(client, 'get_knowledge');
    expect(k.items.map((i: { id: string }) => i.id)).toEqual([...bundle.required, ...bundle.approved].map((i) => i.id));
    expect(k.items[0]).toMatchObject({ title: 'Fiscal year', required: true });
    expect(k.items.map((i: { title: string }) => i.title)).not.toContain('Still pending');
  });

  it('get_knowledge with words searches the approved items', async () => {
    const k = await callTool(client, 'get_knowledge', { search: 'refunds' });
    expect(k.items.map((i: { title: string }) => i.title)).toEqual(['Revenue excludes refunds']);
    expect((await callTool(client, 'get_knowledge', { search: 'reviewed' })).items).toEqual([]);
  });

  it('propose_knowledge files a pending item as the analyst, for a km_admin to review', async () => {
    const p = await callTool(client, 'propose_knowledge', {
      title: 'Customers are c-prefixed',
      content: 'Customer ids look like c12.',
      category: 'data_analysis',
    });
    expect(p).toMatchObject({ status: 'pending' });
    const pending = (await (await kmAdmin('/api/memory/admin/pending')).json()) as { items: { id: string; owner_id: string }[] };
    expect(pending.items.find((i) => i.id === p.id)).toMatchObject({ owner_id: analyst.user.id });
    expect((await auditRows(t, 'MCP propose_knowledge'))[0]).toMatchObject({ user_id: analyst.user.id, status: 200 });
  });

  it('a viewer reads knowledge but is not offered propose_knowledge', async () => {
    const viewer = await t.asUser('viewer');
    const c = await mcpClient(t, viewer.token);
    const names = (await c.listTools()).tools.map((x) => x.name);
    expect(names).toContain('get_knowledge');
    expect(names).not.toContain('propose_knowledge');
    await c.close();
  });
});

describe('without the memory plugin', () => {
  it('offers no knowledge tools', async () => {
    const { t: plain } = await mcpHost();
    const c = await mcpClient(plain, (await plain.asUser('analyst')).token);
    const names = (await c.listTools()).tools.map((x) => x.name);
    expect(names).not.toContain('get_knowledge');
    expect(names).not.toContain('propose_knowledge');
    await c.close();
    await plain.stop();
  });
});
