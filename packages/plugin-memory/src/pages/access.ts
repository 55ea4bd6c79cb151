import type { Context } from 'koa';
import { ROLES, type Role } from '@aida/core';

/** Whether the signed-in caller has `role` or a higher one (viewer < analyst < km_admin < admin). */
export function atLeast(ctx: Context, role: Role): boolean {
  const user = ctx.state.user;
  return user !== undefined && ROLES.indexOf(user.role) >= ROLES.indexOf(role);
}

/** The caller: every page here is behind a role guard, so the host has set it. */
export const me = (ctx: Context) => ctx.state.user!;
