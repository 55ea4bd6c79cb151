export { telegramPlugin as default } from './plugin.js';
export { telegramConfigSchema, type TelegramConfig } from './config.js';
export { TelegramBotNotReadyError, TelegramLinkCodeInvalidError, TelegramWebhookSecretInvalidError } from './errors.js';
export type { LinkStatus } from './routes/link-service.js';
