/**
 * The Telegram plugin's configuration. In `config/instance.yaml`:
 *
 *   plugins:
 *     - package: '@aida/plugin-telegram'
 *       config:
 *         bot_token_env: 'TELEGRAM_BOT_TOKEN'
 *         mode: polling            # or webhook, which needs the next line
 *         webhook_secret_env: 'TELEGRAM_WEBHOOK_SECRET'
 *         link_code_ttl: 10m
 *
 * The `*_env` fields name environment variables; once parsed they hold the values, which the
 * host masks in every log line and error answer.
 */
import { zDuration, zSecretEnv } from '@aida/core';
import { z } from 'zod';

/** Telegram's rule for `secret_token` of setWebhook: 1-256 characters, letters, digits, `_` and `-`. */
const WEBHOOK_SECRET = /^[A-Za-z0-9_-]{1,256}$/;

export const telegramConfigSchema = z
  .object({
    /** The variable holding the bot token @BotFather gave. */
    bot_token_env: zSecretEnv({ example: 'TELEGRAM_BOT_TOKEN', holds: 'the bot token from @BotFather' }).prefault('TELEGRAM_BOT_TOKEN'),
    /** The Bot API server (grammY's `client.apiRoot`): https://api.telegram.org unless a local Bot API server or a test fake. */
    api_root: z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL such as https://api.telegram.org' })
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
    /** `polling` (default): the bot asks Telegram for updates. `webhook`: Telegram posts them to `POST /webhooks/telegram`. */
    mode: z.enum(['polling', 'webhook']).default('polling'),
    /** The variable holding the webhook's secret, which Telegram sends in `X-Telegram-Bot-Api-Secret-Token`; required for `webhook`. */
    webhook_secret_env: zSecretEnv({ example: 'TELEGRAM_WEBHOOK_SECRET', holds: '1-256 letters, digits, _ or -' }).optional(),
    /** How long a link code from `/start` stays valid (default 10 minutes). */
    link_code_ttl: zDuration({ min: '1s', max: '1h' }).prefault('10m'),
    /** How long one getUpdates long poll waits for an update (Telegram's `timeout`). */
    poll_timeout: zDuration({ min: '1s', max: '50s' }).prefault('30s'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.mode === 'webhook' && !c.webhook_secret_env) {
      ctx.addIssue({
        code: 'custom',
        path: ['webhook_secret_env'],
        message: 'mode webhook needs webhook_secret_env: Telegram deliveries are accepted only with the secret',
      });
    }
    if (c.webhook_secret_env && !WEBHOOK_SECRET.test(c.webhook_secret_env)) {
      // The value itself is never echoed: it is a secret.
      ctx.addIssue({
        code: 'custom',
        path: ['webhook_secret_env'],
        message: 'the webhook secret must be 1-256 letters, digits, _ or - (Telegram refuses others)',
      });
    }
  });

export type TelegramConfig = z.output<typeof telegramConfigSchema>;
