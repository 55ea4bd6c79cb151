import { definePlugin, redactText, tokens } from '@aida/core';
import { TelegramBot } from './bot/bot.js';
import { telegramCommands } from './bot/commands.js';
import { TelegramChannel } from './channel.js';
import { telegramConfigSchema } from './config.js';
import { apiRoutes } from './routes/api.js';
import { LinkService } from './routes/link-service.js';
import { dashboardPanel, pageRoutes, VIEWS_FOLDER } from './routes/pages.js';
import { webhookRoute } from './routes/webhook.js';
import { telegramMigrations } from './store/migrations.js';
import { TelegramLinks } from './store/links.js';

/**
 * A Telegram bot for AIDA: `/start` in a private chat answers a one-time link code, which the
 * user enters on the dashboard (or `POST /api/telegram/verify`) to link the chat; the
 * `telegram` notification channel then delivers their notifications there, charts as photos.
 */
export const telegramPlugin = definePlugin({
  id: 'telegram',
  kind: 'service',
  description: 'Telegram bot: links a chat to a user and delivers their notifications (text and chart images)',
  config: telegramConfigSchema,
  deps: {
    database: tokens.database,
    routes: tokens.routes,
    views: tokens.views,
    services: tokens.services,
    logger: tokens.logger,
    users: tokens.users,
    rateLimits: tokens.rateLimits,
    notifications: tokens.notifications,
    freshness: tokens.freshness,
    host: tokens.host,
  },
  async init({ database, routes, views, services, logger, users, rateLimits, notifications, freshness, host }, { config }) {
    await database.migrate(telegramMigrations);
    const links = new TelegramLinks(database);
    const token = config.bot_token_env;
    const bot = new TelegramBot({
      token,
      apiRoot: config.api_root,
      mode: config.mode,
      pollTimeoutMs: config.poll_timeout,
      webhookUrl: host.baseUrl ? `${host.baseUrl}/webhooks/telegram` : undefined,
      webhookSecret: config.webhook_secret_env,
      commands: telegramCommands({
        links,
        freshness,
        users,
        linkCodeTtlMs: config.link_code_ttl,
        dashboardUrl: host.baseUrl ? `${host.baseUrl}/dashboard` : undefined,
      }),
      logger,
    });
    services.register(bot);
    notifications.registerChannel(new TelegramChannel(bot, links));

    const service = new LinkService(links, bot, rateLimits, (what, e) => logger.warn(`${what} failed: ${redactText(bot.describe(e), [token])}`));
    for (const route of apiRoutes(service)) routes.add(route);
    if (config.mode === 'webhook') routes.add(webhookRoute(bot, config.webhook_secret_env!));
    views.addFolder(VIEWS_FOLDER);
    views.addDashboardPanel(dashboardPanel(service));
    for (const route of pageRoutes(service)) routes.add(route);
  },
});

export default telegramPlugin;
