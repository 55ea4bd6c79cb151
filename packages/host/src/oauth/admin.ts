// Admins see every MCP client that registered itself and who connected it, and revoke one:
// its grants and tokens stop working at once. The JSON API and the admin page share this.
import { z } from 'zod';
import { param, type RouteDefinition } from '@aida/core';
import { McpClientNotFoundError } from '../errors.js';
import type { UsersRepository } from '../identity/users.js';
import { redirectWithNotice, noticeFrom } from '../portal/notice.js';
import type { OAuthClientRecord, OAuthStore } from './store.js';

const admin = { role: 'admin' } as const;
const clientParams = z.object({ id: z.string().min(1).max(200).meta({ description: 'The client id' }) });

/** The /admin sub-navigation entry of the MCP clients page. */
export const MCP_ADMIN_SECTION = {
  href: '/admin/mcp-clients',
  label: 'MCP clients',
  about: 'Agents connected over OAuth: who connected them; revoke one.',
} as const;

const clientSchema = z.object({
  client_id: z.string(),
  client_name: z.string().nullable(),
  redirect_uris: z.array(z.string()),
  confidential: z.boolean().meta({ description: 'Authenticates with a client secret at the token endpoint' }),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
  revoked_by: z.string().nullable(),
  users: z.array(z.object({ user_id: z.string(), email: z.string().nullable(), connected_at: z.string(), last_used_at: z.string().nullable() })).meta({
    description: 'People with a live grant to this client',
  }),
});

function clientJson(c: OAuthClientRecord, store: OAuthStore, users: UsersRepository) {
  const uris = c.metadata.redirect_uris;
  return {
    client_id: c.client_id,
    client_name: c.client_name,
    redirect_uris: Array.isArray(uris) ? uris.map(String) : [],
    confidential: c.metadata.token_endpoint_auth_method !== 'none',
    created_at: c.created_at.toISOString(),
    revoked_at: c.revoked_at?.toISOString() ?? null,
    revoked_by: c.revoked_by,
    users: store
      .grantsOf(c.client_id)
      .filter((g) => !g.revoked_at)
      .map((g) => ({
        user_id: g.user_id,
        email: users.get(g.user_id)?.email ?? null,
        connected_at: g.created_at.toISOString(),
        last_used_at: g.last_used_at?.toISOString() ?? null,
      })),
  };
}

export function mcpClientAdminRoutes(store: OAuthStore, users: UsersRepository): RouteDefinition[] {
  const revoke = async (id: string, by: string) => {
    if (!(await store.findClient(id))) throw new McpClientNotFoundError(`No MCP client ${id} is registered`);
    await store.revokeClient(id, by);
  };
  return [
    {
      method: 'GET',
      path: '/api/admin/mcp-clients',
      access: admin,
      summary: 'MCP clients registered over OAuth, newest first, with the people who connected each',
      tags: ['mcp'],
      output: { body: z.object({ clients: z.array(clientSchema), count: z.number().int() }) },
      handler(ctx) {
        const clients = store.listClients().map((c) => clientJson(c, store, users));
        ctx.body = { clients, count: clients.length };
      },
    },
    {
      method: 'DELETE',
      path: '/api/admin/mcp-clients/:id',
      access: admin,
      summary: 'Revoke an MCP client: every grant and token it holds stops working',
      tags: ['mcp'],
      input: { params: clientParams },
      output: { status: 204, throws: [McpClientNotFoundError] },
      async handler(ctx) {
        await revoke(param(ctx, clientParams).id, ctx.state.user!.id);
        ctx.status = 204;
      },
    },
    {
      method: 'GET',
      path: MCP_ADMIN_SECTION.href,
      access: admin,
      summary: 'Admin page: MCP clients and who connected them; revoke one',
      tags: ['mcp'],
      output: { media: ['text/html'] },
      async handler(ctx) {
        await ctx.render('admin/mcp-clients.njk', {
          title: MCP_ADMIN_SECTION.label,
          section: MCP_ADMIN_SECTION.href,
          clients: store.listClients().map((c) => clientJson(c, store, users)),
          notice: noticeFrom(ctx, { revoked: 'Client revoked: its tokens no longer work.' }),
        });
      },
    },
    {
      method: 'POST',
      path: `${MCP_ADMIN_SECTION.href}/:id/revoke`,
      access: admin,
      summary: 'Admin form: revoke an MCP client',
      tags: ['mcp'],
      input: { params: clientParams, body: z.object({}), bodyTypes: ['form'] },
      output: { status: 303, description: 'Back to the MCP clients page with a notice', throws: [McpClientNotFoundError] },
      async handler(ctx) {
        await revoke(param(ctx, clientParams).id, ctx.state.user!.id);
        redirectWithNotice(ctx, MCP_ADMIN_SECTION.href, 'revoked');
      },
    },
  ];
}
