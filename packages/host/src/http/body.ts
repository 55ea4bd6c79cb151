import type { Context } from 'koa';
import type { z } from 'zod';
import { inputErrorFrom, type RouteInput } from '@aida/core';

interface Validated {
  schema: z.ZodType;
  value: unknown;
}

/**
 * Validates a route's declared input before its handler runs; the handler then reads it with
 * `body(ctx, schema)` / `query(ctx, schema)` with the same schema, without parsing twice.
 */
export function validateInput(ctx: Context, input: RouteInput | undefined): void {
  if (!input) return;
  const state = ctx.state as { validatedBody?: Validated; validatedQuery?: Validated };
  if (input.body) state.validatedBody = { schema: input.body, value: parseBody(ctx, input.body) };
  if (input.query) state.validatedQuery = { schema: input.query, value: parseQuery(ctx, input.query) };
}

/** The request body, validated by `schema`; a bad body is a 400 whose message and `detail.issues` name each field. */
export function body<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  const v = (ctx.state as { validatedBody?: Validated }).validatedBody;
  if (v?.schema === schema) return v.value as z.output<S>;
  return parseBody(ctx, schema);
}

function parseBody<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  const r = schema.safeParse((ctx.request as { body?: unknown }).body ?? {});
  if (r.success) return r.data;
  throw inputErrorFrom(r.error);
}

/** Query-string parameters, validated the same way. */
export function query<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  const v = (ctx.state as { validatedQuery?: Validated }).validatedQuery;
  if (v?.schema === schema) return v.value as z.output<S>;
  return parseQuery(ctx, schema);
}

function parseQuery<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  const r = schema.safeParse(ctx.query);
  if (r.success) return r.data;
  throw inputErrorFrom(r.error);
}

/** A route parameter (`:id`) as a string. */
export function param(ctx: Context, name: string): string {
  return String((ctx as unknown as { params: Record<string, string> }).params[name]);
}
