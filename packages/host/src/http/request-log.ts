import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';

const SAFE_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** Gives every request an id (a sane incoming X-Request-Id is kept) and writes one structured access log line. */
export function requestLog(logger: Logger, slowMs: number): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const requestId = SAFE_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      const duration = Math.round((performance.now() - started) * 10) / 10;
      const line = {
        request_id: requestId,
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        duration_ms: duration,
        user_id: ctx.state.user?.id,
        ip: ctx.ip,
      };
      if (ctx.status >= 500 || duration > slowMs) logger.warn(line, 'request');
      else logger.info(line, 'request');
    }
  };
}
