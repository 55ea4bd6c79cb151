import { z } from 'zod';
import { param, query, type RouteDefinition } from '@aida/core';
import { pageOf, pageQuery } from '../../http/paging.js';
import { patJson } from '../../identity/pats.js';
import type { PortalContext } from '../context.js';
import { noticeFrom, redirectWithNotice } from '../notice.js';

const listQuery = pageQuery({ defaultLimit: 50, maxLimit: 500 });
const tokenParams = z.object({ id: z.string().meta({ description: 'The token id' }) });
const admin = { role: 'admin' } as const;

/** `/admin/tokens`: every user's personal access tokens, revoke. */
export function adminTokenPages(portal: PortalContext): RouteDefinition[] {
  const id = portal.data.identity;
  return [
    {
      method: 'GET',
      path: '/admin/tokens',
      access: admin,
      summary: "Admin page: every user's personal access tokens, newest first, paged; revoke one",
      input: { query: listQuery },
      output: { media: ['text/html'] },
      async handler(ctx) {
        const page = pageOf(
          'tokens',
          id.pats.list().map((p) => ({ ...patJson(p), owner: id.users.get(p.user_id)?.email })),
          query(ctx, listQuery),
        );
        // The token a notice is about, looked up by id: the URL never supplies the text.
        const revoked = typeof ctx.query.token === 'string' ? id.pats.list().find((p) => p.id === ctx.query.token) : undefined;
        await ctx.render('admin/tokens.njk', {
          title: 'Tokens',
          section: '/admin/tokens',
          page,
          notice: noticeFrom(ctx, {
            revoked: `Token ${revoked?.prefix ?? ''} of ${(revoked && id.users.get(revoked.user_id)?.email) ?? 'its owner'} revoked: it no longer works.`,
          }),
        });
      },
    },
    {
      method: 'POST',
      path: '/admin/tokens/:id/revoke',
      access: admin,
      summary: "Admin form: revoke any user's personal access token",
      input: { params: tokenParams, body: z.object({}), bodyTypes: ['form'] },
      output: { status: 302, description: 'Back to /admin/tokens with a notice', errors: { 404: 'No such token' } },
      async handler(ctx) {
        const token = param(ctx, tokenParams).id;
        await id.pats.revoke(token);
        redirectWithNotice(ctx, `/admin/tokens?token=${encodeURIComponent(token)}`, 'revoked');
      },
    },
  ];
}
