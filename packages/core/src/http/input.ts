import type { Context } from 'koa';
import type { z } from 'zod';
import type { RouteInput } from '../contracts/routes.js';
import { inputErrorFrom } from '../errors.js';

type Part = 'body' | 'query' | 'params';

interface Validated {
  schema: z.ZodType;
  value: unknown;
}

// Symbol.for, like tokens: a plugin built against another copy of core reads what the host's copy stored.
const VALIDATED = Symbol.for('aida:validated-input');

function store(ctx: Context): Partial<Record<Part, Validated>> {
  const state = ctx.state as { [VALIDATED]?: Partial<Record<Part, Validated>> };
  return (state[VALIDATED] ??= {});
}

function raw(ctx: Context, part: Part): unknown {
  if (part === 'body') return (ctx.request as { body?: unknown }).body ?? {};
  if (part === 'query') return ctx.query;
  return (ctx as { params?: Record<string, string> }).params ?? {};
}

/** The part validated by `schema`: what the host already validated with that schema, else parsed now. */
function read<S extends z.ZodType>(ctx: Context, part: Part, schema: S): z.output<S> {
  const done = store(ctx)[part];
  if (done?.schema === schema) return done.value as z.output<S>;
  const r = schema.safeParse(raw(ctx, part));
  if (!r.success) throw inputErrorFrom(r.error);
  return r.data;
}

/**
 * Validates a route's declared input before its handler runs (the host's router calls it), so
 * a bad request never reaches the handler and the handler's `body(ctx, schema)` & co. return
 * the stored value instead of parsing again. Path parameters first: they name the resource.
 */
export function validateInput(ctx: Context, input: RouteInput | undefined): void {
  if (!input) return;
  const validated = store(ctx);
  for (const part of ['params', 'query', 'body'] as const) {
    const schema = input[part];
    if (schema) validated[part] = { schema, value: read(ctx, part, schema) };
  }
}

/** The request body, validated by `schema`; a bad body is a 400 whose message and `detail.issues` name each field. */
export function body<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  return read(ctx, 'body', schema);
}

/** Query-string parameters, validated the same way. */
export function query<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  return read(ctx, 'query', schema);
}

/**
 * Path parameters: with a schema (the route's `input.params`), all of them validated; with a
 * name, that one as the router matched it (a string).
 */
export function param<S extends z.ZodType>(ctx: Context, schema: S): z.output<S>;
export function param(ctx: Context, name: string): string;
export function param(ctx: Context, which: z.ZodType | string): unknown {
  if (typeof which !== 'string') return read(ctx, 'params', which);
  return String((raw(ctx, 'params') as Record<string, string>)[which]);
}
