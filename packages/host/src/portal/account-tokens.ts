import { z } from 'zod';
import { body, param, query, type RouteDefinition } from '@aida/core';
import { pageOf, pageQuery } from '../http/paging.js';
import { mintPat } from '../identity/routes/auth.js';
import { patJson } from '../identity/pats.js';
import type { PortalContext } from './context.js';
import { showCreatedToken } from './token-created.js';
import { noticeFrom, redirectWithNotice } from './notice.js';

/** The expiries the form offers; `never` is the API's `expires_in_days: null`. */
const EXPIRIES = ['30', '90', '365', 'never'] as const;
// `_csrf` is checked before any route runs (csrfGuard).
const tokenForm = z.object({
  name: z.coerce.string().trim().min(1).max(100),
  expires_in_days: z
    .enum(EXPIRIES)
    .default('90')
    .transform((d) => (d === 'never' ? null : Number(d))),
});
const listQuery = pageQuery({ defaultLimit: 50, maxLimit: 500 });
const tokenParams = z.object({ id: z.string().meta({ description: 'The token id' }) });
const NOTICES = { revoked: 'Token revoked: it no longer signs anything in.' };

/** `/account/tokens`: my personal access tokens: list, create (shown once), revoke. */
export function accountTokenPages(portal: PortalContext): RouteDefinition[] {
  const id = portal.data.identity;
  // What `da login --server` should name, as on the dashboard: base_url when set, else the address the browser used.
  return [
    {
      method: 'GET',
      path: '/account/tokens',
      access: { role: 'viewer' },
      summary: 'Tokens page: my personal access tokens, a form to create one, revoke',
      input: { query: listQuery },
      output: { media: ['text/html'] },
      async handler(ctx) {
        const user = ctx.state.user!;
        const page = query(ctx, listQuery);
        const tokens = pageOf('tokens', id.pats.list(user.id).map(patJson), page);
        await ctx.render('account-tokens.njk', {
          title: 'Your tokens',
          notice: noticeFrom(ctx, NOTICES),
          tokens: tokens.tokens,
          page: { limit: tokens.limit, offset: tokens.offset, total: tokens.total },
          expiries: EXPIRIES,
          // A PAT cannot mint tokens (mintPat refuses): no form for it.
          canMint: user.tokenType === 'session',
        });
      },
    },
    {
      method: 'POST',
      path: '/account/tokens',
      access: { role: 'viewer' },
      summary: 'Tokens form: create a personal access token and show it once',
      input: { body: tokenForm, bodyTypes: ['form'] },
      output: { status: 201, media: ['text/html'], errors: { 403: 'No valid CSRF token, or called with a personal access token' } },
      async handler(ctx) {
        const b = body(ctx, tokenForm);
        const created = await mintPat(id, ctx.state.user!, b.name, b.expires_in_days);
        await showCreatedToken(ctx, portal, created);
      },
    },
    {
      method: 'POST',
      path: '/account/tokens/:id/revoke',
      access: { role: 'viewer' },
      summary: 'Tokens page: revoke one of my personal access tokens',
      input: { params: tokenParams },
      output: { status: 303, description: 'Back to /account/tokens with a notice', errors: { 404: 'No such token of yours' } },
      async handler(ctx) {
        await id.pats.revoke(param(ctx, tokenParams).id, ctx.state.user!.id);
        redirectWithNotice(ctx, '/account/tokens', 'revoked');
      },
    },
  ];
}
