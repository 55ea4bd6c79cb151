// Calls a route a plugin contributed, in this process, as the given user: its access rule and
// declared input are applied as the router applies them, then its handler runs on a small
// context holding what JSON routes read (the user, query, body, params) and write (status,
// body). No HTTP and no second audit row: the MCP tool call that asked is the audited call.
// Works for JSON routes only; a handler needing more of Koa's context fails loudly.
import type { Context } from 'koa';
import { NotAllowedError, validateInput, type RequestUser, type RouteDefinition } from '@aida/core';
import { roleRank } from '../http/guard.js';

export interface RouteCallInput {
  query?: Record<string, string>;
  body?: unknown;
  requestId: string;
}

export async function callRoute(route: RouteDefinition, user: RequestUser, input: RouteCallInput): Promise<{ status: number; body: unknown }> {
  if (route.access !== 'public' && roleRank(user.role) < roleRank(route.access.role)) {
    throw new NotAllowedError(`This needs the ${route.access.role} role; you are ${user.role}`);
  }
  const ctx = {
    method: route.method,
    path: route.path,
    url: route.path,
    originalUrl: route.path,
    state: { user, requestId: input.requestId },
    request: { body: input.body ?? {} },
    query: input.query ?? {},
    params: {},
    status: 200,
    body: undefined as unknown,
    get: () => '',
    set: () => undefined,
  };
  const koa = ctx as unknown as Context;
  validateInput(koa, route.input);
  await route.handler(koa);
  return { status: ctx.status, body: ctx.body };
}
