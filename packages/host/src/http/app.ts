import Koa, { type Middleware } from 'koa';
import compose from 'koa-compose';
import type { Logger } from 'pino';
import { UnavailableError } from '@aida/core';
import { errorMiddleware } from './errors.js';
import { requestLog } from './request-log.js';
import './context.js';

/** The request pipeline is built when the host starts; until then (and after stop) requests get 503. */
export interface HttpRouting {
  handler: Middleware | null;
}

export function buildKoaApp(opts: { logger: Logger; routing: HttpRouting; trustProxy: boolean; slowRequestMs: number }): Koa {
  const app = new Koa({ proxy: opts.trustProxy });
  // Errors are answered by errorMiddleware; Koa's default handler would only log them twice.
  app.silent = true;
  const unavailable = compose([
    errorMiddleware(opts.logger),
    () => {
      throw new UnavailableError('The AIDA host is starting or stopping; try again shortly');
    },
  ]);
  app.use(requestLog(opts.logger.child({ component: 'http' }), opts.slowRequestMs));
  app.use((ctx, next) => (opts.routing.handler ?? unavailable)(ctx, next));
  return app;
}
