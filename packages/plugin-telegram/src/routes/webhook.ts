import { createHash, timingSafeEqual } from 'node:crypto';
import { InputError, readRawBody, type RouteDefinition } from '@aida/core';
import type { Update } from 'grammy/types';
import { z } from 'zod';
import type { TelegramBot } from '../bot/bot.js';
import { TelegramBotNotReadyError, TelegramWebhookSecretInvalidError } from '../errors.js';

/** Telegram's header carrying the `secret_token` given to setWebhook. */
export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';
/** An update is a few kB; a photo or document arrives as file ids, never bytes. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Only what the plugin relies on; the rest of the update is grammY's to read. */
const updateShape = z.looseObject({ update_id: z.number().int().nonnegative() });

/** Compared as SHA-256 digests: equal lengths for timingSafeEqual, and no early exit on the first differing byte. */
function sameSecret(sent: string | undefined, expected: string): boolean {
  if (typeof sent !== 'string') return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(sent), digest(expected));
}

/**
 * `POST /webhooks/telegram` in webhook mode: Telegram's delivery of one update. The secret
 * header is checked before the body is read; the update is queued and answered at once (200),
 * so a slow reply never makes Telegram deliver it again.
 */
export function webhookRoute(bot: TelegramBot, secret: string): RouteDefinition {
  return {
    method: 'POST',
    path: '/webhooks/telegram',
    access: 'public',
    summary: 'Receive a Telegram update (webhook mode; X-Telegram-Bot-Api-Secret-Token must match webhook_secret_env)',
    tags: ['webhooks'],
    input: { file: 'One Telegram Update as JSON, as the Bot API posts it' },
    output: {
      body: z.object({ ok: z.literal(true) }),
      throws: [TelegramWebhookSecretInvalidError, TelegramBotNotReadyError],
      errors: { 400: 'The body is not a Telegram update', 413: 'Body larger than 1 MB' },
    },
    async handler(ctx) {
      const header = ctx.get(SECRET_HEADER);
      if (!sameSecret(header || undefined, secret)) throw new TelegramWebhookSecretInvalidError();
      // grammY needs the bot's own identity to handle an update; Telegram delivers again after a 503.
      if (!bot.ready) throw new TelegramBotNotReadyError();
      const raw = await readRawBody(ctx, MAX_BODY_BYTES);
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new InputError('The body is not JSON');
      }
      const update = updateShape.safeParse(parsed);
      if (!update.success) throw new InputError('The body is not a Telegram update (no update_id)');
      void bot.handle(update.data as unknown as Update);
      ctx.body = { ok: true };
    },
  };
}
