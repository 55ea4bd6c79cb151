// The OAuth endpoints the MCP SDK implements (authorize, token, registration, revocation), run
// inside the host's Koa pipeline: the SDK's handlers are Express routers, so they get an Express
// app of their own and Node's raw request and response. They read their bodies themselves, so
// the host's body parser must leave these paths alone (skipsBodyParsing).
import express from 'express';
import type { Middleware } from 'koa';
import { authorizationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/authorize.js';
import { clientRegistrationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/register.js';
import { revocationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/revoke.js';
import { tokenHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/token.js';
import { mountPrefix, NotFoundError, type RateLimits } from '@aida/core';
import { requestPlaces, type AidaOAuthProvider } from './provider.js';
import { baseUrlOf } from './base-url.js';

/** Paths the SDK's handlers answer. */
export const OAUTH_ENDPOINTS = {
  authorization_endpoint: '/oauth/authorize',
  token_endpoint: '/oauth/token',
  registration_endpoint: '/oauth/register',
  revocation_endpoint: '/oauth/revoke',
} as const;

const PATHS = new Set<string>(Object.values(OAUTH_ENDPOINTS));

/** Runs `parser` except on the SDK's OAuth endpoints, which parse their own bodies. */
export function skipsBodyParsing(parser: Middleware): Middleware {
  return (ctx, next) => (PATHS.has(ctx.path) ? next() : parser(ctx, next));
}

export interface OAuthEndpointOptions {
  provider: AidaOAuthProvider;
  /** `instance.base_url`, when set: the issuer and the tokens' resource are built on it. */
  baseUrl: string | undefined;
  trustProxy: boolean;
  rateLimits: RateLimits;
}

/**
 * The SDK's rate limiter is off: it counts per address, and a hosted agent's many users share
 * a few. Registration, the one endpoint open to anyone that writes, uses the host's limiter.
 */
export function oauthEndpoints(o: OAuthEndpointOptions): Middleware {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', o.trustProxy);
  app.use(OAUTH_ENDPOINTS.authorization_endpoint, authorizationHandler({ provider: o.provider, rateLimit: false }));
  app.use(OAUTH_ENDPOINTS.token_endpoint, tokenHandler({ provider: o.provider, rateLimit: false }));
  // Secrets never expire: they are derived, not stored, and an admin revokes the client instead.
  app.use(
    OAUTH_ENDPOINTS.registration_endpoint,
    clientRegistrationHandler({ clientsStore: o.provider.clientsStore, rateLimit: false, clientSecretExpirySeconds: 0 }),
  );
  app.use(OAUTH_ENDPOINTS.revocation_endpoint, revocationHandler({ provider: o.provider, rateLimit: false }));

  return async (ctx, next) => {
    if (!PATHS.has(ctx.path)) return next();
    if (ctx.path === OAUTH_ENDPOINTS.registration_endpoint && ctx.method === 'POST') o.rateLimits.hit('oauth', [`ip:${ctx.ip}`]);
    const base = baseUrlOf(ctx, o.baseUrl);
    requestPlaces.set(ctx.req, { prefix: mountPrefix(ctx), resource: `${base}/mcp` });
    ctx.respond = false;
    try {
      await new Promise<void>((resolve, reject) => {
        ctx.res.once('close', resolve);
        ctx.res.once('finish', resolve);
        // Express turns Node's request and response into its own (it sets their prototypes) as it starts.
        const [req, res] = [ctx.req as unknown as express.Request, ctx.res as unknown as express.Response];
        app(req, res, (err?: unknown) => (err ? reject(err) : reject(new NotFoundError(`No route for ${ctx.method} ${ctx.path}`))));
      });
    } catch (e) {
      // Nothing was sent: the host answers the error as any other.
      ctx.respond = true;
      throw e;
    }
  };
}
