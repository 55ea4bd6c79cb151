import type { DataFreshness, UserDirectory } from '@aida/core';
import { Composer, type Context } from 'grammy';
import type { TelegramLinks } from '../store/links.js';
import { HELP_MESSAGE, linkCodeMessage, NOT_LINKED_MESSAGE, statusMessage } from './messages.js';

export interface CommandDeps {
  links: TelegramLinks;
  freshness: DataFreshness;
  users: UserDirectory;
  linkCodeTtlMs: number;
  /** The dashboard's public URL, named in the /start answer when the instance knows its base URL. */
  dashboardUrl: string | undefined;
}

/**
 * What the bot answers, in private chats only: a group chat is not one person's, so it is
 * never linked (and gets no answer). Unknown chats are told how to link.
 */
export function telegramCommands(d: CommandDeps): Composer<Context> {
  const commands = new Composer<Context>();
  const chat = commands.chatType('private');

  chat.command('start', async (ctx) => {
    const chatId = String(ctx.chat.id);
    const linked = await d.links.forChat(chatId);
    const code = await d.links.issueCode(chatId, ctx.chat.username ?? null, d.linkCodeTtlMs);
    await ctx.reply(linkCodeMessage(code, d.linkCodeTtlMs, d.dashboardUrl, linked !== null));
  });

  chat.command('status', async (ctx) => {
    const link = await d.links.forChat(String(ctx.chat.id));
    const user = link ? await d.users.findById(link.userId) : null;
    if (!link || !user?.active) return void (await ctx.reply(NOT_LINKED_MESSAGE));
    await ctx.reply(statusMessage(user.email, await d.freshness.forUser(user.id)));
  });

  chat.command('help', (ctx) => ctx.reply(HELP_MESSAGE));

  chat.on('message', async (ctx) => {
    const link = await d.links.forChat(String(ctx.chat.id));
    await ctx.reply(link ? HELP_MESSAGE : NOT_LINKED_MESSAGE);
  });

  return commands;
}
