/** The Telegram plugin's error catalogue; docs/errors.md lists each code. */
import { AuthenticationError, defineError, InputError, UnavailableError } from '@aida/core';

/** A link code that is unknown, expired or already used: the same answer for each, so a guess learns nothing. */
export const TelegramLinkCodeInvalidError = defineError(
  'TELEGRAM_LINK_CODE_INVALID',
  400,
  'This link code is invalid, expired or already used; send /start to the bot for a new one',
  InputError,
);

/** `POST /webhooks/telegram` without the configured `X-Telegram-Bot-Api-Secret-Token`. */
export const TelegramWebhookSecretInvalidError = defineError(
  'TELEGRAM_WEBHOOK_SECRET_INVALID',
  401,
  'Missing or wrong X-Telegram-Bot-Api-Secret-Token',
  AuthenticationError,
);

/** The bot has not reached Telegram yet (getMe failed or is still under way). */
export const TelegramBotNotReadyError = defineError(
  'TELEGRAM_BOT_NOT_READY',
  503,
  'The Telegram bot has not connected to Telegram yet; try again shortly',
  UnavailableError,
);
