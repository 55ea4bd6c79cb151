import { timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { CsrfTokenInvalidError } from '../errors.js';
import type { SessionTokens } from '../identity/session-tokens.js';

/** The form field every state-changing portal form carries. */
export const CSRF_FIELD = '_csrf';

/** Paths whose routes are JSON APIs, authenticated by a Bearer token or checked by their own rules. */
const API_PATHS = /^\/(api|auth|webhooks)\//;

/**
 * The CSRF token of the caller's session: an HMAC of the session JWT's `jti` under the host's
 * secret. Nothing is stored, it changes with every sign-in, and a page of one session is of no
 * use to another. Undefined for anonymous callers and PATs, which have no portal forms.
 */
export function csrfToken(tokens: SessionTokens, ctx: Context): string | undefined {
  const user = ctx.state.user;
  return user?.tokenType === 'session' ? tokens.mac('csrf', user.tokenId) : undefined;
}

/**
 * Every state-changing request to a page path (anything outside /api, /auth and /webhooks)
 * must carry the session's CSRF token, so a page added later is covered without remembering
 * to. The session cookie is also SameSite=Lax; this check does not rely on browsers enforcing it.
 */
export function csrfGuard(tokens: SessionTokens): Middleware {
  return async (ctx, next) => {
    if (!['GET', 'HEAD', 'OPTIONS'].includes(ctx.method) && (!API_PATHS.test(ctx.path) || cookieLogout(ctx))) {
      const expected = csrfToken(tokens, ctx);
      const sent = (ctx.request.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
      if (!expected || typeof sent !== 'string' || !sameString(sent, expected)) {
        throw new CsrfTokenInvalidError('This form is missing its security token or it is stale; reload the page and try again');
      }
    }
    await next();
  };
}

/**
 * Signing out with the session cookie is the layout's form, and carries its token: another site
 * must not sign a user out. `da logout` sends a Bearer token, which no other site can.
 */
function cookieLogout(ctx: Context): boolean {
  return ctx.path === '/auth/logout' && ctx.state.user?.tokenType === 'session' && !ctx.get('authorization');
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
