import { z } from 'zod';
import { NotFoundError, type RouteDefinition } from '@aida/core';
import { body, param, query } from '../../http/body.js';
import type { Identity } from '../identity.js';

const admin = { role: 'admin' } as const;
const grant = z.object({ user_id: z.string().min(1), dataset: z.string().min(1), access: z.enum(['read', 'none']).default('read') });
const revokeBody = grant.pick({ user_id: true, dataset: true });
const listQuery = z.object({ user_id: z.string().optional() });
const requestBody = z.object({ table_id: z.string().min(1), reason: z.string().max(2000).optional() });

/** Dataset grants (admin) and the access-request workflow (any user asks, an admin decides). */
export function permissionRoutes(id: Identity): RouteDefinition[] {
  return [
    {
      method: 'GET', path: '/api/admin/permissions', access: admin, input: { query: listQuery },
      handler(ctx) {
        const { user_id } = query(ctx, listQuery);
        ctx.body = { permissions: id.permissions.list(user_id) };
      },
    },
    { method: 'GET', path: '/api/admin/permissions/:user_id', access: admin, handler(ctx) { ctx.body = { permissions: id.permissions.list(id.users.require(param(ctx, 'user_id')).id) }; } },
    {
      method: 'POST', path: '/api/admin/permissions', access: admin, summary: 'Grant (or deny) a table or `<bucket>.*` to a user', input: { body: grant },
      async handler(ctx) {
        const b = body(ctx, grant);
        id.users.require(b.user_id);
        ctx.status = 201;
        ctx.body = await id.permissions.set(b.user_id, b.dataset, b.access, ctx.state.user!.id);
      },
    },
    {
      method: 'DELETE', path: '/api/admin/permissions', access: admin, summary: 'Remove a grant', input: { body: revokeBody },
      async handler(ctx) {
        const b = body(ctx, revokeBody);
        if (!(await id.permissions.remove(b.user_id, b.dataset))) throw new NotFoundError(`No grant of ${b.dataset} to that user`);
        ctx.status = 204;
      },
    },
    {
      method: 'POST', path: '/api/access-requests', access: { role: 'viewer' }, summary: 'Ask for read access to a table', input: { body: requestBody },
      async handler(ctx) {
        const b = body(ctx, requestBody);
        ctx.status = 201;
        ctx.body = await id.accessRequests.create(ctx.state.user!.id, b.table_id, b.reason);
      },
    },
    { method: 'GET', path: '/api/access-requests/my', access: { role: 'viewer' }, async handler(ctx) { ctx.body = { requests: await id.accessRequests.mine(ctx.state.user!.id) }; } },
    { method: 'GET', path: '/api/access-requests/pending', access: admin, async handler(ctx) { ctx.body = { requests: await id.accessRequests.pending() }; } },
    {
      method: 'POST', path: '/api/access-requests/:id/approve', access: admin, summary: 'Approve: grants read on the table',
      async handler(ctx) {
        const r = await id.accessRequests.decide(param(ctx, 'id'), 'approved', ctx.state.user!.id);
        await id.permissions.set(r.user_id, r.table_id, 'read', ctx.state.user!.id);
        ctx.body = r;
      },
    },
    { method: 'POST', path: '/api/access-requests/:id/deny', access: admin, async handler(ctx) { ctx.body = await id.accessRequests.decide(param(ctx, 'id'), 'denied', ctx.state.user!.id); } },
  ];
}
