import type { Middleware } from 'koa';
import type { SecretRedactor } from '@aida/core';

/**
 * Masks the host's secrets in error answers (a plugin's InputError quoting what a source said,
 * an HTML error page). Successful answers are left alone: they are what the caller asked for,
 * and may be streams or files the host must not rewrite.
 */
export function redactErrorResponses(secrets: SecretRedactor): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.status < 400 || !secrets.size) return;
    if (typeof ctx.body === 'string') ctx.body = secrets.redact(ctx.body);
    else if (ctx.body && typeof ctx.body === 'object' && Object.getPrototypeOf(ctx.body) === Object.prototype) ctx.body = secrets.redactDeep(ctx.body);
  };
}
