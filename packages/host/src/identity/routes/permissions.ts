import { z } from 'zod';
import { body, NotFoundError, param, query, type RouteDefinition } from '@aida/core';
import type { Identity } from '../identity.js';
import type { Grant } from '../permissions.js';
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
        const stored = await grantDataset(id, b, ctx.state.user!.id);
        ctx.status = 201;
        ctx.body = stored;
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
        await revokeDataset(id, b.user_id, b.dataset);
        ctx.status = 204;
      },
    },
  ];
}

/** Grants (or denies) a table or `<bucket>.*` to an existing user; an unknown user is a 404, a bad dataset a 400. */
export async function grantDataset(id: Identity, g: { user_id: string; dataset: string; access: 'read' | 'none' }, by: string): Promise<Grant> {
  id.users.require(g.user_id);
  return id.permissions.set(g.user_id, g.dataset, g.access, by);
}

/** Removes a user's grant; a grant that does not exist is a 404. */
export async function revokeDataset(id: Identity, userId: string, dataset: string): Promise<void> {
  if (!(await id.permissions.remove(userId, dataset))) throw new NotFoundError(`No grant of ${dataset} to that user`);
}
