import type { Context } from 'koa';
import type { mintPat } from '../identity/routes/auth.js';
import type { PortalContext } from './context.js';
import { serverUrl } from './server-url.js';

/** The page that shows a new personal access token once, with the `da login` command to use it (dashboard and Tokens page). */
export async function showCreatedToken(ctx: Context, portal: PortalContext, created: Awaited<ReturnType<typeof mintPat>>): Promise<void> {
  // The token is on this page only: no cache may keep a copy.
  ctx.set('Cache-Control', 'no-store');
  await ctx.render('token-created.njk', { title: 'Your new token', created, serverUrl: serverUrl(portal, ctx) });
  // Rendering set 200; the token was created.
  ctx.status = 201;
}
