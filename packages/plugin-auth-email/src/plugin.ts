import { definePlugin, tokens } from '@aida/core';
import { emailConfigSchema } from './config.js';
import { LinkMailer } from './mailer.js';
import { magicLinkRoutes, SEND_LINK_PATH } from './routes.js';

/** Email magic-link sign-in: `/auth/email/send-link` mails a single-use link, `/auth/email/verify` redeems it. */
export const emailAuthPlugin = definePlugin({
  id: 'email',
  kind: 'auth',
  description: 'Sign-in with a single-use link mailed over SMTP',
  config: emailConfigSchema,
  deps: {
    logger: tokens.logger,
    authProviders: tokens.authProviders,
    services: tokens.services,
    sessions: tokens.sessions,
    oneTimeTokens: tokens.oneTimeTokens,
    users: tokens.users,
    rateLimits: tokens.rateLimits,
    host: tokens.host,
  },
  init({ logger, authProviders, services, sessions, oneTimeTokens, users, rateLimits, host }, { config: own }) {
    // The plugin's base_url wins; otherwise the instance's public origin.
    const config = { ...own, base_url: own.base_url ?? host.baseUrl };
    const mailer = new LinkMailer(config, logger);
    services.register(mailer);
    authProviders.register({
      id: 'email',
      login: {
        label: 'Email me a sign-in link',
        form: { action: SEND_LINK_PATH, fields: [{ name: 'email', type: 'email', label: 'Email' }] },
      },
      routes: magicLinkRoutes({ sessions, oneTimeTokens, users, rateLimits, mailer, config }),
    });
  },
});
