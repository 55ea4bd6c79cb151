import type { Context } from 'koa';
import { mountPrefix } from '@aida/core';

/**
 * Post/redirect/get for the portal's forms: after a change the browser is sent back to the
 * page with `?notice=<code>`, and the page shows the message it has for that code. The text
 * is never taken from the URL, so a crafted link cannot make the portal say something.
 */
export function redirectWithNotice(ctx: Context, path: string, code: string): void {
  const sep = path.includes('?') ? '&' : '?';
  ctx.status = 303;
  ctx.redirect(`${mountPrefix(ctx)}${path}${sep}notice=${encodeURIComponent(code)}`);
}

/** The message a page has for `?notice=`, or undefined. */
export function noticeFrom(ctx: Context, messages: Readonly<Record<string, string>>): string | undefined {
  const code = ctx.query.notice;
  return typeof code === 'string' && Object.hasOwn(messages, code) ? messages[code] : undefined;
}
