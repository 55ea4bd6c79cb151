import { definePlugin, tokens } from '@aida/core';
import { googleConfigSchema, redirectUri } from './config.js';
import { OAuthFlow } from './flow.js';
import { JwksCache } from './oidc.js';
import { googleRoutes, LOGIN_PATH } from './routes.js';

/** Google OAuth / OpenID Connect sign-in. */
export const googleAuthPlugin = definePlugin({
  id: 'google',
  kind: 'auth',
  description: 'Sign in with Google (OpenID Connect)',
  config: googleConfigSchema,
  deps: { sessions: tokens.sessions, rateLimits: tokens.rateLimits, authProviders: tokens.authProviders, logger: tokens.logger },
  init({ sessions, rateLimits, authProviders, logger }, { config }) {
    const clientSecret = config.client_secret;
    // Only the domain is a useful hint to Google's account chooser; the check itself happens on the callback.
    const hd: Record<string, string> = config.allowed_domains.length === 1 ? { hd: config.allowed_domains[0] } : {};
    const flow = new OAuthFlow({
      clientId: config.client_id,
      clientSecret,
      redirectUri: redirectUri(config),
      authorizeUrl: config.authorize_url,
      tokenUrl: config.token_url,
      scope: ['openid', 'email', 'profile'],
      authorizeParams: { prompt: 'select_account', ...hd },
    });
    const jwks = new JwksCache(config.jwks_uri);
    authProviders.register({
      id: 'google',
      login: { label: 'Sign in with Google', href: LOGIN_PATH },
      routes: googleRoutes({ config, clientSecret, flow, jwks, sessions, rateLimits, logger }),
    });
    logger.info({ redirect_uri: redirectUri(config), allowed_domains: config.allowed_domains }, 'google sign-in ready');
  },
});

export default googleAuthPlugin;
