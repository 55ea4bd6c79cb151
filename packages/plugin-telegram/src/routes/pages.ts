import { fileURLToPath } from 'node:url';
import { body, isAidaError, mountPrefix, type DashboardPanel, type RouteDefinition } from '@aida/core';
import { z } from 'zod';
import { TelegramLinkCodeInvalidError } from '../errors.js';
import type { LinkService } from './link-service.js';

/** The templates, rendered as `telegram/<file>.njk` (from dist/ as from src/: `../../views`). */
export const VIEWS_FOLDER = fileURLToPath(new URL('../../views', import.meta.url));

// `_csrf` is checked by the host before the route runs; only the code is the form's own.
const linkForm = z.object({ code: z.string().trim().max(32).default('') });

/** The dashboard's Telegram box: the caller's link status and the bot to talk to. */
export function dashboardPanel(service: LinkService): DashboardPanel {
  return { template: 'telegram/panel.njk', data: async (user) => ({ ...(await service.status(user.id)) }) };
}

/**
 * The box's forms: link with a code, unlink. Both go back to the dashboard (post/redirect/get);
 * a code that does not work shows the box again with why, on a page of its own.
 */
export function pageRoutes(service: LinkService): RouteDefinition[] {
  return [
    {
      method: 'POST',
      path: '/telegram/link',
      access: { role: 'viewer' },
      summary: 'Dashboard form: link the Telegram chat that got this code',
      input: { body: linkForm, bodyTypes: ['form'] },
      output: { status: 303, media: ['text/html'], description: 'To the dashboard once linked; the form again, with the reason, when the code does not work' },
      async handler(ctx) {
        const { code } = body(ctx, linkForm);
        try {
          await service.verify(ctx.state.user!, code, ctx.ip);
        } catch (e) {
          if (!(isAidaError(e) && e.code === TelegramLinkCodeInvalidError.code)) throw e;
          ctx.status = 400;
          await ctx.render('telegram/link.njk', { title: 'Link your Telegram', error: e.message, status: await service.status(ctx.state.user!.id) });
          return;
        }
        ctx.status = 303;
        ctx.redirect(`${mountPrefix(ctx)}/dashboard#telegram`);
      },
    },
    {
      method: 'POST',
      path: '/telegram/unlink',
      access: { role: 'viewer' },
      summary: 'Dashboard form: unlink your Telegram chat',
      output: { status: 303, description: 'To the dashboard' },
      async handler(ctx) {
        await service.unlink(ctx.state.user!.id);
        ctx.status = 303;
        ctx.redirect(`${mountPrefix(ctx)}/dashboard#telegram`);
      },
    },
  ];
}
