import type { Context } from 'koa';
import { z } from 'zod';
import {
  isAidaError,
  query,
  redactText,
  safeNext,
  UserDeactivatedError,
  type RateLimits,
  type RouteDefinition,
  type SessionIssuer,
  type tokens,
  type TokenType,
} from '@aida/core';
import { domainAllowed, type GoogleConfig } from './config.js';
import { callbackQuery, mountOf, type OAuthFlow } from './flow.js';
import { fetchUserInfo, isVerified, OidcError, verifyIdToken, type JwksCache } from './oidc.js';

export const LOGIN_PATH = '/auth/google/login';
export const CALLBACK_PATH = '/auth/google/callback';

/** `?next=` of the login: a path that is not one string reads as missing, never as a JSON 400. */
export const loginQuery = z.object({
  next: z
    .string()
    .max(2000)
    .optional()
    .catch(undefined)
    .meta({ description: 'Where to land after sign-in: a path on this host (anything else lands on /dashboard)' }),
});

/** `next` when it is a same-origin path, else undefined: only such a path is stored or carried back to the login page. */
function sameOrigin(next: string | undefined): string | undefined {
  return next !== undefined && safeNext(next) === next ? next : undefined;
}

/**
 * Where a signed-in browser lands: `next` as the login page gave it (a same-origin path that
 * already holds any mount prefix, as the host's own sign-in treats it), else the dashboard
 * under the mount.
 */
function landing(ctx: Context, next: string | undefined): string {
  const target = safeNext(next);
  return target === next ? target : `${mountOf(ctx)}${target}`;
}

export interface GoogleRouteDeps {
  config: GoogleConfig;
  clientSecret: string;
  flow: OAuthFlow;
  jwks: JwksCache;
  sessions: SessionIssuer;
  rateLimits: RateLimits;
  logger: TokenType<typeof tokens.logger>;
}

/** The two public routes of the Google sign-in. */
export function googleRoutes(deps: GoogleRouteDeps): RouteDefinition[] {
  const { config, flow, jwks, sessions, rateLimits, logger } = deps;

  const refuse = (ctx: Context, code: string, reason: string, extra: Record<string, unknown> = {}, next?: string) => {
    logger.warn({ code, reason: redactText(reason, [deps.clientSecret]), ip: ctx.ip, ...extra }, 'google sign-in refused');
    // The login page offers the same `next` again, so a retry still lands where it was meant to.
    const back = sameOrigin(next);
    ctx.redirect(`${mountOf(ctx)}/login?error=${encodeURIComponent(code)}${back ? `&next=${encodeURIComponent(back)}` : ''}`);
  };

  return [
    {
      method: 'GET',
      path: LOGIN_PATH,
      access: 'public',
      summary: 'Starts Google sign-in: redirects to Google with state, nonce and PKCE',
      input: { query: loginQuery },
      output: {
        status: 302,
        description: "To Google's consent page (or back to /login?error=… when sign-in cannot start)",
        errors: { 429: 'Too many sign-in attempts from this address' },
      },
      async handler(ctx) {
        // Throws RateLimitedError (429, Retry-After) past the host's limit for the `oauth` bucket.
        rateLimits.hit('oauth', [`ip:${ctx.ip}`]);
        ctx.set('cache-control', 'no-store');
        const next = sameOrigin(query(ctx, loginQuery).next);
        const failure = await flow.start(ctx, next);
        if (failure) refuse(ctx, failure.code, failure.reason, {}, next);
      },
    },
    {
      method: 'GET',
      path: CALLBACK_PATH,
      access: 'public',
      summary: 'Google redirects here; verifies the ID token and signs the user in',
      input: { query: callbackQuery },
      output: {
        status: 302,
        description: 'To the `next` the login was started with (a same-origin path) or /dashboard when signed in, else to /login?error=…',
      },
      async handler(ctx) {
        ctx.set('cache-control', 'no-store');
        const tokens = await flow.finish(ctx);
        if (!tokens.ok) return refuse(ctx, tokens.code, tokens.reason, {}, tokens.next);
        const next = tokens.next;

        let email: string;
        let name: string | undefined;
        try {
          const claims = await verifyIdToken(tokens.idToken, jwks, { issuer: config.issuer, audience: config.client_id, nonce: tokens.nonce });
          email = typeof claims.email === 'string' ? claims.email : '';
          let verified = isVerified(claims.email_verified);
          name = typeof claims.name === 'string' ? claims.name : undefined;
          if (!email || !verified) {
            // Google puts email in the ID token for the `email` scope; other servers may leave it to userinfo.
            if (!tokens.accessToken) throw new OidcError('email_not_verified', 'the id_token has no verified email and there is no access token for userinfo');
            const info = await fetchUserInfo(config.userinfo_url, tokens.accessToken, claims.sub);
            email = typeof info.email === 'string' ? info.email : '';
            verified = isVerified(info.email_verified);
            name ??= typeof info.name === 'string' ? info.name : undefined;
          }
          if (!email) throw new OidcError('email_missing', 'the provider returned no email address');
          if (!verified) throw new OidcError('email_not_verified', `the provider has not verified ${email}`);
        } catch (e) {
          if (e instanceof OidcError) return refuse(ctx, e.code, e.message, {}, next);
          throw e;
        }
        email = email.trim().toLowerCase();
        if (!domainAllowed(config, email)) return refuse(ctx, 'domain_not_allowed', `the domain of ${email} is not in allowed_domains`, { email }, next);

        let session;
        try {
          session = await sessions.signIn({ email, name, provider: 'google', createIfMissing: { role: 'analyst' } });
        } catch (e) {
          // The host refuses deactivated users (AuthenticationError); say so on the login page, not as JSON.
          if (isAidaError(e) && e.status === 401) {
            return refuse(ctx, e.code === UserDeactivatedError.code ? 'account_disabled' : 'sign_in_refused', e.message, { email }, next);
          }
          throw e;
        }
        sessions.setSessionCookie(ctx, session);
        logger.info({ email, user_id: session.user_id }, 'google sign-in');
        ctx.redirect(landing(ctx, next));
      },
    },
  ];
}
