import type { RateLimits, RequestUser } from '@aida/core';
import type { TelegramBot } from '../bot/bot.js';
import { linkedMessage } from '../bot/messages.js';
import { normalizeLinkCode } from '../codes.js';
import { TelegramLinkCodeInvalidError } from '../errors.js';
import type { TelegramLink, TelegramLinks } from '../store/links.js';

/** Rate-limit bucket of the host: redeeming a code is counted like a sign-in attempt (per address and per account). */
export const VERIFY_BUCKET = 'signin';
export const INVALID_CODE_MESSAGE = 'This link code is invalid, expired or already used; send /start to the bot for a new one';

/** `GET /api/telegram/status`, and what the dashboard box shows. */
export interface LinkStatus {
  linked: boolean;
  /** The chat's @username, when it has one. */
  chat_username: string | null;
  linked_at: string | null;
  /** Telegram refused the chat (the user blocked the bot): nothing is delivered until it is linked again. */
  broken: boolean;
  broken_reason: string | null;
  /** The bot to talk to (`@username` without the @); null until it reached Telegram. */
  bot_username: string | null;
}

/** What the JSON API and the dashboard's forms share: redeem a code, unlink, read the status. */
export class LinkService {
  constructor(
    private readonly links: TelegramLinks,
    private readonly bot: TelegramBot,
    private readonly rateLimits: RateLimits,
    private readonly onError: (what: string, e: unknown) => void,
  ) {}

  async status(userId: string): Promise<LinkStatus> {
    return this.describe(await this.links.forUser(userId));
  }

  /**
   * Links the chat of `typed` (a code as the user typed it) to `user`. Every attempt counts
   * against the user's and the address's limit (429 past it), a right one too, so codes
   * cannot be guessed; a wrong, used or expired code is one answer.
   */
  async verify(user: RequestUser, typed: string, ip: string): Promise<LinkStatus> {
    this.rateLimits.hit(VERIFY_BUCKET, [`ip:${ip}`, `account:telegram:${user.id}`]);
    const code = normalizeLinkCode(typed);
    const link = code ? await this.links.redeem(code, user.id) : null;
    if (!link) throw new TelegramLinkCodeInvalidError(INVALID_CODE_MESSAGE, { field: 'code' });
    // The chat learns it is linked; not waited for, and a failure does not undo the link.
    this.bot.sendText(link.chatId, linkedMessage(user.email)).catch((e: unknown) => this.onError('telling the chat it is linked', e));
    return this.describe(link);
  }

  async unlink(userId: string): Promise<LinkStatus> {
    await this.links.unlink(userId);
    return this.describe(null);
  }

  private describe(link: TelegramLink | null): LinkStatus {
    return {
      linked: link !== null,
      chat_username: link?.chatUsername ?? null,
      linked_at: link ? link.linkedAt.toISOString() : null,
      broken: Boolean(link?.brokenAt),
      broken_reason: link?.brokenReason ?? null,
      bot_username: this.bot.username ?? null,
    };
  }
}
