import type { Context } from 'koa';
import type { z } from 'zod';
import type { ErrorDefinition } from '../errors.js';

export type Role = 'viewer' | 'analyst' | 'km_admin' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'analyst', 'km_admin', 'admin'];

/** Who may call a route. Authentication is on by default; `public` is an explicit opt-out. */
export type RouteAccess = 'public' | { role: Role };

/** How a body may be sent: the host parses JSON and urlencoded HTML form posts. */
export type BodyType = 'json' | 'form';

/**
 * What a route accepts. The host validates the body, query and path parameters with these
 * schemas before the handler runs (a bad request never reaches it: 400 `AIDA_INPUT_INVALID`
 * with `detail.issues`) and documents them in /api/openapi.json. The handler reads the
 * validated values with `body(ctx, schema)`, `query(ctx, schema)` and `param(ctx, schema)`.
 */
export interface RouteInput {
  body?: z.ZodType;
  query?: z.ZodType;
  /** The path parameters (`:id`) as one object schema; undeclared ones are documented as strings. */
  params?: z.ZodType;
  /** How the body may come; JSON only unless said (a sign-in form also posts `form`). */
  bodyTypes?: readonly BodyType[];
  /**
   * The route takes a file (a multipart `file` field or the raw bytes, streamed by the
   * handler): one line on what it is, for the docs. Not validated by the host.
   */
  file?: string;
}

/** Statuses a route answers on success: 204 has no body, 302 and 303 are redirects (303: after a form post, GET the page again). */
export type SuccessStatus = 200 | 201 | 202 | 204 | 302 | 303;

/** Error statuses a route can document; each answers the JSON `{code, message, detail}`. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 416 | 422 | 429 | 503;

/** Answers beside the main one that a route documents with their own schema. */
export type OtherAnswerStatus = 200 | 201 | 202 | 206 | 304;

/** One documented answer: what it is, and its JSON schema or media types. */
export interface AnswerDoc {
  description: string;
  body?: z.ZodType;
  media?: readonly string[];
}

/**
 * What a route answers, for /api/openapi.json. Documentation only: the host does not check
 * answers against it (that would cost every request), the tests of each route do.
 */
export interface RouteOutput {
  /** 200 unless said. */
  status?: SuccessStatus;
  /** The JSON body. */
  body?: z.ZodType;
  /** Media types of a body that is not JSON (a streamed file, an HTML page), or alternatives to JSON. */
  media?: readonly string[];
  /** One line on what the answer is. */
  description?: string;
  /**
   * Errors this route can answer, each with when. The host adds the ones it derives itself:
   * 400 (and 413) for a route with input, 401 and 403 for a route that is not public.
   */
  errors?: Partial<Record<ErrorStatus, string>>;
  /**
   * Error classes (from a catalogue) the handler throws: each is listed under its own status
   * with its code and default message, so the document and the catalogue cannot disagree.
   */
  throws?: readonly ErrorDefinition[];
  /** Other answers, each with its own schema: 206 for a range, 304 when unchanged, 202 when queued. */
  others?: Partial<Record<OtherAnswerStatus, AnswerDoc>>;
}

export interface RouteDefinition {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /**
   * A plugin's own routes live under `/api/<pluginId>/`; paths the REST contract gives it
   * (`/auth/<pluginId>/…`, `/webhooks/<pluginId>`) are allowed too. Its portal pages live at
   * `/<pluginId>` and under `/<pluginId>/`, render with `ctx.render('<pluginId>/<file>.njk')`
   * and answer `text/html`; a form posted to one carries the layout's CSRF token.
   */
  path: string;
  access: RouteAccess;
  handler(ctx: Context): Promise<void> | void;
  /** What the route does, in one line (the OpenAPI summary); not its path again. */
  summary?: string;
  input?: RouteInput;
  output?: RouteOutput;
  /** OpenAPI tags; the host uses the path's second segment when omitted. */
  tags?: string[];
}

export interface RouteRegistry {
  add(route: RouteDefinition): void;
}
