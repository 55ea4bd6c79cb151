import { body, type RouteDefinition } from '@aida/core';
import { z } from 'zod';
import { TelegramLinkCodeInvalidError } from '../errors.js';
import type { LinkService } from './link-service.js';

const RATE_LIMITED = 'Too many link attempts from this address or for this account; Retry-After says when to try again';

export const linkStatusSchema = z.object({
  linked: z.boolean(),
  chat_username: z.string().nullable().describe("The linked chat's @username (without the @), when it has one"),
  linked_at: z.string().nullable().describe('When the chat was linked (ISO 8601)'),
  broken: z.boolean().describe('Telegram refused the chat (the user blocked the bot): nothing is delivered until it is linked again'),
  broken_reason: z.string().nullable(),
  bot_username: z.string().nullable().describe("The bot's @username (without the @); null until it reached Telegram"),
});

const verifyBody = z.object({
  code: z.string().trim().min(1).max(32).describe('The code the bot answered /start with, e.g. ABCD-EFGH (case, spaces and dashes do not matter)'),
});

/** `/api/telegram/*`: link a chat with the code from /start, unlink it, read the link's status. Every signed-in user, for themselves. */
export function apiRoutes(service: LinkService): RouteDefinition[] {
  return [
    {
      method: 'POST',
      path: '/api/telegram/verify',
      access: { role: 'viewer' },
      summary: "Link the Telegram chat that got this code (/start) to the caller's account; replaces the caller's previous chat",
      input: { body: verifyBody },
      output: { body: linkStatusSchema, errors: { 429: RATE_LIMITED }, throws: [TelegramLinkCodeInvalidError] },
      async handler(ctx) {
        const { code } = body(ctx, verifyBody);
        ctx.set('Cache-Control', 'no-store');
        ctx.body = await service.verify(ctx.state.user!, code, ctx.ip);
      },
    },
    {
      method: 'POST',
      path: '/api/telegram/unlink',
      access: { role: 'viewer' },
      summary: "Unlink the caller's Telegram chat (nothing is sent to it any more); fine when none is linked",
      output: { body: linkStatusSchema },
      async handler(ctx) {
        ctx.body = await service.unlink(ctx.state.user!.id);
      },
    },
    {
      method: 'GET',
      path: '/api/telegram/status',
      access: { role: 'viewer' },
      summary: "Whether the caller's Telegram chat is linked, and whether deliveries to it work",
      output: { body: linkStatusSchema },
      async handler(ctx) {
        ctx.set('Cache-Control', 'no-store');
        ctx.body = await service.status(ctx.state.user!.id);
      },
    },
  ];
}
