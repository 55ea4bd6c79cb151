import { z } from 'zod';
import { ROLES, type RouteDefinition } from '@aida/core';
import { body, param } from '../../http/body.js';
import { INVITE_TTL_MS, RESET_TTL_MS, type Identity } from '../identity.js';
import { assertRole, userJson } from '../users.js';

const admin = { role: 'admin' } as const;
const role = z.string().refine((r) => (ROLES as readonly string[]).includes(r), { message: `unknown role; use one of ${ROLES.join(', ')}` });
const createUserBody = z.object({ email: z.string(), name: z.string().optional(), role: role.default('analyst'), password: z.string().optional() });
const updateUserBody = z.object({ email: z.string().optional(), name: z.string().nullable().optional(), role: role.optional() }).strict();
const passwordBody = z.object({ password: z.string() });

/** Users CRUD for admins, with invite and reset links and the self / last-admin protections. */
export function userRoutes(id: Identity): RouteDefinition[] {
  return [
    { method: 'GET', path: '/api/users', access: admin, handler(ctx) { ctx.body = { users: id.users.list().map(userJson), count: id.users.list().length }; } },
    {
      method: 'POST', path: '/api/users', access: admin, summary: 'Create (invite) a user; returns a single-use setup link', input: { body: createUserBody },
      async handler(ctx) {
        const b = body(ctx, createUserBody);
        const user = await id.createUser({ email: b.email, name: b.name, role: assertRole(b.role), password: b.password });
        ctx.status = 201;
        ctx.body = { ...userJson(user), invite: user.password_hash ? null : await id.setupLink(user, INVITE_TTL_MS) };
      },
    },
    { method: 'GET', path: '/api/users/:id', access: admin, handler(ctx) { ctx.body = userJson(id.users.require(param(ctx, 'id'))); } },
    {
      method: 'PATCH', path: '/api/users/:id', access: admin, summary: 'Change email, name or role', input: { body: updateUserBody },
      async handler(ctx) {
        const b = body(ctx, updateUserBody);
        const target = param(ctx, 'id');
        id.guardAdminChange(ctx.state.user!.id, target, { role: b.role === undefined ? undefined : assertRole(b.role) });
        ctx.body = userJson(await id.users.update(target, { email: b.email, name: b.name === undefined ? undefined : b.name, role: b.role === undefined ? undefined : assertRole(b.role) }));
      },
    },
    {
      method: 'DELETE', path: '/api/users/:id', access: admin,
      async handler(ctx) {
        const target = param(ctx, 'id');
        id.guardAdminChange(ctx.state.user!.id, target, { delete: true });
        await id.users.delete(target);
        id.permissions.forgetUser(target);
        await id.pats.load();
        ctx.status = 204;
      },
    },
    {
      method: 'POST', path: '/api/users/:id/reset-password', access: admin, summary: 'A single-use link to set a new password (valid 1 day)',
      async handler(ctx) {
        ctx.body = await id.setupLink(id.users.require(param(ctx, 'id')), RESET_TTL_MS);
      },
    },
    {
      method: 'POST', path: '/api/users/:id/set-password', access: admin, input: { body: passwordBody },
      async handler(ctx) {
        const b = body(ctx, passwordBody);
        await id.setPassword(id.users.require(param(ctx, 'id')).id, b.password);
        ctx.body = { status: 'ok' };
      },
    },
    {
      method: 'POST', path: '/api/users/:id/deactivate', access: admin, summary: 'Deactivate: sessions and tokens stop working at once',
      async handler(ctx) {
        const target = param(ctx, 'id');
        id.guardAdminChange(ctx.state.user!.id, target, { active: false });
        ctx.body = userJson(await id.users.update(target, { active: false }));
      },
    },
    {
      method: 'POST', path: '/api/users/:id/activate', access: admin,
      async handler(ctx) {
        ctx.body = userJson(await id.users.update(param(ctx, 'id'), { active: true }));
      },
    },
  ];
}
