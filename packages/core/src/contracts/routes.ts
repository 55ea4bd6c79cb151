import type { Context } from 'koa';
import type { z } from 'zod';

export type Role = 'viewer' | 'analyst' | 'km_admin' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'analyst', 'km_admin', 'admin'];

/** Who may call a route. Authentication is on by default; `public` is an explicit opt-out. */
export type RouteAccess = 'public' | { role: Role };

/**
 * What a route accepts. The host validates the body and query with these schemas before the
 * handler runs (a bad request never reaches it) and documents them in /api/openapi.json.
 */
export interface RouteInput {
  body?: z.ZodType;
  query?: z.ZodType;
  /** Status for an invalid body: 400 (default) or 422 where the REST contract says so. */
  invalidStatus?: 400 | 422;
}

export interface RouteDefinition {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /**
   * A plugin's own routes live under `/api/<pluginId>/`; paths the REST contract gives it
   * (`/auth/<pluginId>/…`, `/webhooks/<pluginId>`) are allowed too.
   */
  path: string;
  access: RouteAccess;
  handler(ctx: Context): Promise<void> | void;
  /** One line for the route list / OpenAPI summary. */
  summary?: string;
  input?: RouteInput;
  /** OpenAPI tags; the host uses the path's second segment when omitted. */
  tags?: string[];
}

export interface RouteRegistry {
  add(route: RouteDefinition): void;
}
