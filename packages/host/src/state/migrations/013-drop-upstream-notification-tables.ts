import type { Migration } from './runner.js';

/**
 * The first schema carried the reference platform's notification tables: Telegram links and
 * link codes kept in clear with no expiry, and a script registry. Nothing ever wrote them; the
 * Telegram plugin keeps hashed, expiring codes in its own tables and scripts live in `scripts`.
 */
export const dropUpstreamNotificationTables: Migration = {
  version: 13,
  name: 'drop the unused upstream telegram and script tables',
  statements: ['DROP TABLE IF EXISTS telegram_links', 'DROP TABLE IF EXISTS pending_codes', 'DROP TABLE IF EXISTS script_registry'],
};
