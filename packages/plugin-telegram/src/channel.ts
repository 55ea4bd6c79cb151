import type { DeliveryOutcome, Notification, NotificationChannel, NotificationChart } from '@aida/core';
import type { TelegramBot } from './bot/bot.js';
import { isChatGone } from './bot/failures.js';
import { clip, MAX_CAPTION_CHARS, notificationText } from './bot/messages.js';
import type { TelegramLinks } from './store/links.js';

/**
 * The `telegram` notification channel: a notification goes to the user's linked chat as a
 * message, or as the chart photo with the message as its caption (when it fits Telegram's
 * 1024 characters; a longer message goes first, then the chart captioned with the title).
 * Rate limits are waited out by the bot's API (see retry.ts). When Telegram refuses the chat
 * for good (403: the user blocked the bot), the link is marked broken, and nothing is sent to
 * it again until the user links the chat anew.
 */
export class TelegramChannel implements NotificationChannel {
  readonly id = 'telegram';

  constructor(
    private readonly bot: TelegramBot,
    private readonly links: TelegramLinks,
  ) {}

  async deliver(notification: Notification, chart: NotificationChart | undefined): Promise<DeliveryOutcome> {
    const link = await this.links.forUser(notification.userId);
    if (!link) return { status: 'skipped', detail: 'no Telegram chat is linked' };
    if (link.brokenAt) return { status: 'skipped', detail: `the Telegram link is broken (${link.brokenReason ?? 'delivery refused'}); link the chat again` };
    if (!this.bot.ready) throw new Error('the Telegram bot has not connected to Telegram yet');
    const text = notificationText(notification.title, notification.body);
    try {
      if (!chart) await this.bot.sendText(link.chatId, text);
      else if (text.length <= MAX_CAPTION_CHARS) await this.bot.sendPhoto(link.chatId, chart.png, text);
      else {
        await this.bot.sendText(link.chatId, text);
        await this.bot.sendPhoto(link.chatId, chart.png, clip(notification.title, MAX_CAPTION_CHARS));
      }
      return { status: 'delivered' };
    } catch (e) {
      if (isChatGone(e)) {
        await this.links.markBroken(link.userId, link.chatId, e.description);
        return { status: 'failed', detail: `Telegram refused the chat: ${e.description}; the link is marked broken` };
      }
      // The hub records a rejection as failed with this message. No `cause`: a network
      // error quotes the request URL, which holds the bot token.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(this.bot.describe(e));
    }
  }
}
