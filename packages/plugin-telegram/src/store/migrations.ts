import type { PluginMigration } from '@aida/core';

/**
 * The plugin's tables in the system database. Never edit a released version; append one.
 * Chat ids are kept as text: Telegram's ids may need more than 32 bits, and a text column
 * reads back the same in every client. (The host's first schema had a `telegram_links` and a
 * `pending_codes` of the upstream's design, codes in clear with no expiry; host migration 13 drops them.)
 */
export const telegramMigrations: readonly PluginMigration[] = [
  {
    version: 1,
    name: 'link codes and links',
    statements: [
      // One live code per chat; a used or expired code is deleted. Only the code's hash is stored.
      `CREATE TABLE telegram_link_codes (
        code_hash VARCHAR PRIMARY KEY,
        chat_id VARCHAR NOT NULL,
        chat_username VARCHAR,
        expires_at TIMESTAMP NOT NULL,
        created_at TIMESTAMP NOT NULL
      )`,
      // One chat per user and one user per chat (kept by TelegramLinks). `broken_at`: Telegram
      // refused to deliver (the user blocked the bot); nothing is sent until the chat is linked again.
      `CREATE TABLE telegram_chat_links (
        user_id VARCHAR PRIMARY KEY,
        chat_id VARCHAR NOT NULL,
        chat_username VARCHAR,
        linked_at TIMESTAMP NOT NULL,
        broken_at TIMESTAMP,
        broken_reason VARCHAR
      )`,
    ],
  },
];
