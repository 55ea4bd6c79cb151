import { AuthenticationError, NotAllowedError, ROLES, type Role, type RouteAccess } from '@aida/core';
import type { Middleware } from 'koa';

export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

/**
 * Enforces a route's access rule. Authentication is on by default: without a user on the
 * request (no valid session) every non-public route answers 401; a lower role gets 403.
 */
export function guard(access: RouteAccess): Middleware {
  if (access === 'public') return (_ctx, next) => next();
  return async (ctx, next) => {
    const user = ctx.state.user;
    if (!user) throw ctx.state.authError ?? new AuthenticationError();
    if (roleRank(user.role) < roleRank(access.role)) throw new NotAllowedError(`This needs the ${access.role} role; you are ${user.role}`);
    await next();
  };
}
