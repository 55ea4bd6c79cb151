import { definePlugin, mailerToken, tokens } from '@aida/core';
import { emailConfigSchema } from './config.js';
import { LinkMailer } from './mailer.js';
import { magicLinkRoutes, SEND_LINK_PATH } from './routes.js';

/** Email magic-link sign-in: `/auth/email/send-link` mails a single-use link, `/auth/email/verify` redeems it. */
export const emailAuthPlugin = definePlugin({
  id: 'email',
  kind: 'auth',
  description: 'Sign-in with a single-use link mailed over SMTP',
  config: emailConfigSchema,
  // The host and other plugins mail through the same SMTP transport (invitations); see init.
  provides: [mailerToken],
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
  init({ logger, authProviders, services, sessions, oneTimeTokens, users, rateLimits, host }, { config: own, provide }) {
    // The plugin's base_url wins; otherwise the instance's public origin.
    const config = { ...own, base_url: own.base_url ?? host.baseUrl };
    const mailer = new LinkMailer(config, logger);
    services.register(mailer);
    // Only a real SMTP server makes a Mailer: without one (the demo) nobody may believe mail
    // goes out, so the host keeps showing invitation links on the page instead of logging them.
    if (mailer.mode === 'smtp') provide(mailerToken, mailer.asMailer());
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
