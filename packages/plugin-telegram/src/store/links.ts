import type { PluginDatabase } from '@aida/core';
import { hashLinkCode, newLinkCode } from '../codes.js';

/** A chat linked to a user. */
export interface TelegramLink {
  userId: string;
  chatId: string;
  chatUsername: string | null;
  linkedAt: Date;
  /** Set once Telegram refused a delivery for good (the user blocked the bot). */
  brokenAt: Date | null;
  brokenReason: string | null;
}

interface LinkRow {
  user_id: string;
  chat_id: string;
  chat_username: string | null;
  linked_at: Date;
  broken_at: Date | null;
  broken_reason: string | null;
}

const LINK_COLUMNS = 'user_id, chat_id, chat_username, linked_at, broken_at, broken_reason';

function toLink(r: LinkRow): TelegramLink {
  return {
    userId: r.user_id,
    chatId: r.chat_id,
    chatUsername: r.chat_username,
    linkedAt: r.linked_at,
    brokenAt: r.broken_at,
    brokenReason: r.broken_reason,
  };
}

const iso = (d: Date) => d.toISOString();

/**
 * Link codes and links in the system database. A code is single use (deleted when redeemed)
 * and expires; a new `/start` in a chat replaces the chat's code. Redeeming links the chat to
 * the redeeming user, replacing that user's previous chat and the chat's previous user.
 */
export class TelegramLinks {
  constructor(
    private readonly db: PluginDatabase,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A fresh code for `chatId`, valid `ttlMs`; the chat's older code stops working, expired codes are dropped. */
  async issueCode(chatId: string, chatUsername: string | null, ttlMs: number): Promise<string> {
    const now = this.now();
    const code = newLinkCode();
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM telegram_link_codes WHERE chat_id = ? OR expires_at <= ?::TIMESTAMP', [chatId, iso(now)]);
      await tx.run('INSERT INTO telegram_link_codes (code_hash, chat_id, chat_username, expires_at, created_at) VALUES (?, ?, ?, ?::TIMESTAMP, ?::TIMESTAMP)', [
        hashLinkCode(code),
        chatId,
        chatUsername,
        iso(new Date(now.getTime() + ttlMs)),
        iso(now),
      ]);
    });
    return code;
  }

  /**
   * Redeems `code` (normalized) for `userId`: the code's chat becomes the user's, in one
   * transaction. Null for an unknown, used or expired code (an expired one is deleted too).
   */
  async redeem(code: string, userId: string): Promise<TelegramLink | null> {
    const now = this.now();
    return this.db.transaction(async (tx) => {
      const [row] = await tx.all<{ chat_id: string; chat_username: string | null; expires_at: Date }>(
        'SELECT chat_id, chat_username, expires_at FROM telegram_link_codes WHERE code_hash = ?',
        [hashLinkCode(code)],
      );
      if (!row) return null;
      await tx.run('DELETE FROM telegram_link_codes WHERE code_hash = ?', [hashLinkCode(code)]);
      if (row.expires_at.getTime() <= now.getTime()) return null;
      // One user per chat: whoever had this chat loses it; the user's own previous chat is replaced below.
      await tx.run('DELETE FROM telegram_chat_links WHERE chat_id = ? AND user_id <> ?', [row.chat_id, userId]);
      await tx.run(
        `INSERT INTO telegram_chat_links (${LINK_COLUMNS}) VALUES (?, ?, ?, ?::TIMESTAMP, NULL, NULL)
         ON CONFLICT (user_id) DO UPDATE SET chat_id = excluded.chat_id, chat_username = excluded.chat_username, linked_at = excluded.linked_at,
           broken_at = NULL, broken_reason = NULL`,
        [userId, row.chat_id, row.chat_username, iso(now)],
      );
      return { userId, chatId: row.chat_id, chatUsername: row.chat_username, linkedAt: now, brokenAt: null, brokenReason: null };
    });
  }

  async forUser(userId: string): Promise<TelegramLink | null> {
    const [row] = await this.db.all<LinkRow>(`SELECT ${LINK_COLUMNS} FROM telegram_chat_links WHERE user_id = ?`, [userId]);
    return row ? toLink(row) : null;
  }

  async forChat(chatId: string): Promise<TelegramLink | null> {
    const [row] = await this.db.all<LinkRow>(`SELECT ${LINK_COLUMNS} FROM telegram_chat_links WHERE chat_id = ?`, [chatId]);
    return row ? toLink(row) : null;
  }

  /** Removes the user's link; the removed link, or null when there was none. */
  async unlink(userId: string): Promise<TelegramLink | null> {
    const link = await this.forUser(userId);
    if (link) await this.db.run('DELETE FROM telegram_chat_links WHERE user_id = ?', [userId]);
    return link;
  }

  /** Marks the user's link to `chatId` broken (only that chat: a relink since is left alone). */
  async markBroken(userId: string, chatId: string, reason: string): Promise<void> {
    await this.db.run('UPDATE telegram_chat_links SET broken_at = ?::TIMESTAMP, broken_reason = ? WHERE user_id = ? AND chat_id = ?', [
      iso(this.now()),
      reason,
      userId,
      chatId,
    ]);
  }

  /** How many chats are linked and how many of them are broken (health). */
  async counts(): Promise<{ linked: number; broken: number }> {
    const [row] = await this.db.all<{ linked: number | bigint; broken: number | bigint }>(
      'SELECT count(*) AS linked, count(broken_at) AS broken FROM telegram_chat_links',
    );
    return { linked: Number(row?.linked ?? 0), broken: Number(row?.broken ?? 0) };
  }
}
