import type { Middleware } from 'koa';

/**
 * Runs `parser` except under `/webhooks/`: a webhook's signature is computed over the raw bytes,
 * and must be checked before the body is read as JSON (a bad signature is a 401, not the 400 a
 * parser would answer for bad JSON). Webhook handlers read the body with `readRawBody`.
 */
export function unlessWebhook(parser: Middleware): Middleware {
  return (ctx, next) => (ctx.path.startsWith('/webhooks/') ? next() : parser(ctx, next));
}
