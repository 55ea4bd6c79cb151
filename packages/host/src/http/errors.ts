import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { isAidaError, RateLimitedError } from '@aida/core';

export interface ErrorBody {
  code: string;
  message: string;
  detail: unknown;
}

/**
 * The one place errors become HTTP: typed AIDA errors keep their status, code and detail;
 * anything else is a 500 whose message hides internals (the log has the stack).
 */
export function errorMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        sendError(ctx, 404, { code: 'AIDA_NOT_FOUND', message: `No route for ${ctx.method} ${ctx.path}`, detail: null });
      }
    } catch (e) {
      if (isAidaError(e)) {
        if (e.status === 401 && wantsPage(ctx)) {
          // A browser on a page without a session is sent to sign in, not shown JSON.
          ctx.redirect(`/login?next=${encodeURIComponent(ctx.originalUrl)}`);
          return;
        }
        if (e instanceof RateLimitedError) ctx.set('Retry-After', String(Math.ceil(e.retryAfterSeconds)));
        if (e.status >= 500) logger.error({ err: e, request_id: ctx.state.requestId }, e.message);
        sendError(ctx, e.status, { code: e.code, message: e.message, detail: e.detail });
        return;
      }
      const status = (e as { status?: number; expose?: boolean }).status;
      if (typeof status === 'number' && status >= 400 && status < 500 && (e as { expose?: boolean }).expose) {
        // Errors thrown by koa itself (ctx.throw, body parsing) for bad requests.
        const code = status === 413 ? 'AIDA_PAYLOAD_TOO_LARGE' : status === 405 ? 'AIDA_METHOD_NOT_ALLOWED' : 'AIDA_BAD_REQUEST';
        sendError(ctx, status, { code, message: (e as Error).message, detail: null });
        return;
      }
      logger.error({ err: e, request_id: ctx.state.requestId }, 'unhandled error');
      sendError(ctx, 500, { code: 'AIDA_INTERNAL', message: `Internal error; quote request id ${ctx.state.requestId} when reporting it`, detail: null });
    }
  };
}

function wantsPage(ctx: Parameters<Middleware>[0]): boolean {
  return ctx.method === 'GET' && !/^\/(api|auth|webhooks)\//.test(ctx.path) && ctx.accepts('json', 'html') === 'html' && !ctx.get('authorization');
}

function sendError(ctx: Parameters<Middleware>[0], status: number, body: ErrorBody): void {
  ctx.status = status;
  ctx.type = 'application/json';
  ctx.body = body;
}
