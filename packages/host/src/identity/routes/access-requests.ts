import { z } from 'zod';
import { body, param, query, type RouteDefinition } from '@aida/core';
import { pagedSchema, pageFrom, pageQuery } from '../../http/paging.js';
import type { AccessRequest, RequestableTables } from '../access-requests.js';
import type { Identity } from '../identity.js';
import { accessRequestSchema, accessRequestViewSchema } from './schemas.js';

const admin = { role: 'admin' } as const;
const requestBody = z.object({ table_id: z.string().trim().min(1), reason: z.string().max(2000).optional() });
const listQuery = pageQuery();
const requestParams = z.object({ id: z.string().meta({ description: 'The access request id' }) });
const paged = pagedSchema('requests', accessRequestViewSchema);

/** The registry's tables and who may read them; `{ get }` also yields the table's name. */
export interface AccessRequestTables {
  registry: { get(id: string): { id: string; name: string } | undefined };
  access: { canRead: RequestableTables['canRead'] };
}

/** What the workflow needs to know about tables, from the registry and the access rules. */
export function requestableTables(tables: AccessRequestTables): RequestableTables {
  return { get: (t) => tables.registry.get(t), canRead: (u, t) => tables.access.canRead(u, t) };
}

/** A request as people read it: who asks for what, not two ids to look up (the API's lists and the portal's /access). */
export function accessRequestView(id: Identity, tables: AccessRequestTables) {
  return (r: AccessRequest) => ({ ...r, user_email: id.users.get(r.user_id)?.email ?? null, table_name: tables.registry.get(r.table_id)?.name ?? null });
}

/** Approving is deciding and granting read on the table, in that order: a request decided twice grants nothing (409). */
export async function approveAccessRequest(id: Identity, requestId: string, adminId: string): Promise<AccessRequest> {
  const r = await id.accessRequests.decide(requestId, 'approved', adminId);
  await id.permissions.set(r.user_id, r.table_id, 'read', adminId);
  return r;
}

/** The access-request workflow (API.md, Administration): any user asks, an admin decides. */
export function accessRequestRoutes(id: Identity, tables: AccessRequestTables): RouteDefinition[] {
  const requestable = requestableTables(tables);
  const view = accessRequestView(id, tables);
  return [
    {
      method: 'POST',
      path: '/api/access-requests',
      access: { role: 'viewer' },
      summary: 'Ask an admin for read access to a table',
      input: { body: requestBody },
      output: {
        status: 201,
        body: accessRequestSchema,
        description: 'The pending request',
        errors: { 404: 'No such table is registered', 409: 'The caller can already read the table, or already has a pending request for it' },
      },
      async handler(ctx) {
        const b = body(ctx, requestBody);
        const created = await id.accessRequests.create(ctx.state.user!, b.table_id, b.reason, requestable);
        ctx.status = 201;
        ctx.body = created;
      },
    },
    {
      method: 'GET',
      path: '/api/access-requests/my',
      access: { role: 'viewer' },
      summary: "The caller's own access requests, newest first",
      input: { query: listQuery },
      output: { body: paged },
      async handler(ctx) {
        const page = query(ctx, listQuery);
        const { items, total } = await id.accessRequests.mine(ctx.state.user!.id, page);
        ctx.body = pageFrom('requests', items.map(view), total, page);
      },
    },
    {
      method: 'GET',
      path: '/api/access-requests/pending',
      access: admin,
      summary: 'Access requests waiting for a decision, oldest first, with requester and table',
      input: { query: listQuery },
      output: { body: paged },
      async handler(ctx) {
        const page = query(ctx, listQuery);
        const { items, total } = await id.accessRequests.pending(page);
        ctx.body = pageFrom('requests', items.map(view), total, page);
      },
    },
    {
      method: 'POST',
      path: '/api/access-requests/:id/approve',
      access: admin,
      summary: 'Approve an access request: grants the requester read on the table',
      input: { params: requestParams },
      output: { body: accessRequestSchema, errors: { 404: 'No such request', 409: 'The request was already decided' } },
      async handler(ctx) {
        ctx.body = await approveAccessRequest(id, param(ctx, requestParams).id, ctx.state.user!.id);
      },
    },
    {
      method: 'POST',
      path: '/api/access-requests/:id/deny',
      access: admin,
      summary: 'Deny an access request',
      input: { params: requestParams },
      output: { body: accessRequestSchema, errors: { 404: 'No such request', 409: 'The request was already decided' } },
      async handler(ctx) {
        ctx.body = await id.accessRequests.decide(param(ctx, requestParams).id, 'denied', ctx.state.user!.id);
      },
    },
  ];
}
