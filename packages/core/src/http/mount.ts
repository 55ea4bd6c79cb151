/**
 * The path the host is mounted under in an embedding Koa app (`/data` for `mount('/data', host.koa)`),
 * or '' at the root: what koa-mount stripped from `originalUrl`. Redirects a plugin or the host
 * sends must put it back in front of their own paths.
 */
export function mountPrefix(ctx: { originalUrl: string; url: string }): string {
  return ctx.originalUrl.endsWith(ctx.url) ? ctx.originalUrl.slice(0, ctx.originalUrl.length - ctx.url.length) : '';
}
