import { z } from 'zod';
import { body, param, query, ROLES, type RouteDefinition } from '@aida/core';
import { pagedSchema, pageOf, pageQuery } from '../../http/paging.js';
import type { Identity } from '../identity.js';
import { assertRole, userJson } from '../users.js';
import { createdUserSchema, setupLinkSchema, userSchema } from './schemas.js';

const admin = { role: 'admin' } as const;
const role = z.string().refine((r) => (ROLES as readonly string[]).includes(r), { message: `unknown role; use one of ${ROLES.join(', ')}` });
const createUserBody = z.object({ email: z.string(), name: z.string().optional(), role: role.default('analyst'), password: z.string().optional() });
const updateUserBody = z.object({ email: z.string().optional(), name: z.string().nullable().optional(), role: role.optional() }).strict();
const passwordBody = z.object({ password: z.string() });
const userParams = z.object({ id: z.string().meta({ description: 'The user id' }) });
const listQuery = pageQuery();

/** Users CRUD for admins, with invite and reset links and the self / last-admin protections. */
export function userRoutes(id: Identity): RouteDefinition[] {
  return [
    {
      method: 'GET',
      path: '/api/users',
      access: admin,
      summary: 'Every user, by email',
      input: { query: listQuery },
      output: { body: pagedSchema('users', userSchema) },
      handler(ctx) {
        ctx.body = pageOf('users', id.users.list().map(userJson), query(ctx, listQuery));
      },
    },
    {
      method: 'POST',
      path: '/api/users',
      access: admin,
      summary: 'Create (invite) a user; returns a single-use setup link',
      input: { body: createUserBody },
      output: { status: 201, body: createdUserSchema, errors: { 409: 'A user with that email exists' } },
      async handler(ctx) {
        const b = body(ctx, createUserBody);
        const { user, invite } = await id.inviteUser({ email: b.email, name: b.name, role: assertRole(b.role), password: b.password });
        ctx.status = 201;
        ctx.body = { ...userJson(user), invite };
      },
    },
    {
      method: 'GET',
      path: '/api/users/:id',
      access: admin,
      summary: 'One user',
      input: { params: userParams },
      output: { body: userSchema, errors: { 404: 'No such user' } },
      handler(ctx) {
        ctx.body = userJson(id.users.require(param(ctx, userParams).id));
      },
    },
    {
      method: 'PATCH',
      path: '/api/users/:id',
      access: admin,
      summary: "Change a user's email, name or role",
      input: { params: userParams, body: updateUserBody },
      output: { body: userSchema, errors: { 404: 'No such user', 409: 'The email is taken, or the change would demote yourself or the last admin' } },
      async handler(ctx) {
        const b = body(ctx, updateUserBody);
        const target = param(ctx, userParams).id;
        ctx.body = userJson(
          await id.updateUser(ctx.state.user!.id, target, { email: b.email, name: b.name, role: b.role === undefined ? undefined : assertRole(b.role) }),
        );
      },
    },
    {
      method: 'DELETE',
      path: '/api/users/:id',
      access: admin,
      summary: 'Delete a user with their tokens and grants',
      input: { params: userParams },
      output: { status: 204, errors: { 404: 'No such user', 409: 'You cannot delete yourself or the last admin' } },
      async handler(ctx) {
        const target = param(ctx, userParams).id;
        id.guardAdminChange(ctx.state.user!.id, target, { delete: true });
        await id.users.delete(target);
        id.permissions.forgetUser(target);
        await id.pats.load();
        ctx.status = 204;
      },
    },
    {
      method: 'POST',
      path: '/api/users/:id/reset-password',
      access: admin,
      summary: 'A single-use link to set a new password (valid 1 day)',
      input: { params: userParams },
      output: { body: setupLinkSchema, errors: { 404: 'No such user' } },
      async handler(ctx) {
        ctx.body = await id.resetLink(param(ctx, userParams).id);
      },
    },
    {
      method: 'POST',
      path: '/api/users/:id/set-password',
      access: admin,
      summary: "Set a user's password (8 characters or more)",
      input: { params: userParams, body: passwordBody },
      output: { body: z.object({ status: z.literal('ok') }), errors: { 404: 'No such user' } },
      async handler(ctx) {
        const b = body(ctx, passwordBody);
        await id.setPassword(id.users.require(param(ctx, userParams).id).id, b.password);
        ctx.body = { status: 'ok' };
      },
    },
    {
      method: 'POST',
      path: '/api/users/:id/deactivate',
      access: admin,
      summary: 'Deactivate a user: their sessions and tokens stop working at once',
      input: { params: userParams },
      output: { body: userSchema, errors: { 404: 'No such user', 409: 'You cannot deactivate yourself or the last admin' } },
      async handler(ctx) {
        ctx.body = userJson(await id.setActive(ctx.state.user!.id, param(ctx, userParams).id, false));
      },
    },
    {
      method: 'POST',
      path: '/api/users/:id/activate',
      access: admin,
      summary: 'Let a deactivated user sign in again',
      input: { params: userParams },
      output: { body: userSchema, errors: { 404: 'No such user' } },
      async handler(ctx) {
        ctx.body = userJson(await id.setActive(ctx.state.user!.id, param(ctx, userParams).id, true));
      },
    },
  ];
}
