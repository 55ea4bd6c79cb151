import { z } from 'zod';
import { body, NotFoundError, param, query, type RouteDefinition } from '@aida/core';
import type { Identity } from '../identity.js';
import { grantSchema } from './schemas.js';

const admin = { role: 'admin' } as const;
const userParams = z.object({ user_id: z.string().meta({ description: 'The user id' }) });
const grant = z.object({ user_id: z.string().min(1), dataset: z.string().min(1), access: z.enum(['read', 'none']).default('read') });
const revokeBody = grant.pick({ user_id: true, dataset: true });
const listQuery = z.object({ user_id: z.string().optional() });
const grants = z.object({ permissions: z.array(grantSchema) });

/** Dataset grants (admin): a table or `<bucket>.*` per user. */
export function permissionRoutes(id: Identity): RouteDefinition[] {
  return [
    {
      method: 'GET',
      path: '/api/admin/permissions',
      access: admin,
      summary: "Every dataset grant, or one user's",
      input: { query: listQuery },
      output: { body: grants },
      handler(ctx) {
        const { user_id } = query(ctx, listQuery);
        ctx.body = { permissions: id.permissions.list(user_id) };
      },
    },
    {
      method: 'GET',
      path: '/api/admin/permissions/:user_id',
      access: admin,
      summary: "A user's dataset grants",
      input: { params: userParams },
      output: { body: grants, errors: { 404: 'No such user' } },
      handler(ctx) {
        ctx.body = { permissions: id.permissions.list(id.users.require(param(ctx, userParams).user_id).id) };
      },
    },
    {
      method: 'POST',
      path: '/api/admin/permissions',
      access: admin,
      summary: 'Grant (or deny) a table or `<bucket>.*` to a user',
      input: { body: grant },
      output: { status: 201, body: grantSchema, description: 'The grant as stored', errors: { 404: 'No such user' } },
      async handler(ctx) {
        const b = body(ctx, grant);
        id.users.require(b.user_id);
        ctx.status = 201;
        ctx.body = await id.permissions.set(b.user_id, b.dataset, b.access, ctx.state.user!.id);
      },
    },
    {
      method: 'DELETE',
      path: '/api/admin/permissions',
      access: admin,
      summary: "Remove a user's grant of a table or bucket",
      input: { body: revokeBody },
      output: { status: 204, errors: { 404: 'No such grant' } },
      async handler(ctx) {
        const b = body(ctx, revokeBody);
        if (!(await id.permissions.remove(b.user_id, b.dataset))) throw new NotFoundError(`No grant of ${b.dataset} to that user`);
        ctx.status = 204;
      },
    },
  ];
}
