import { body, mountPrefix, param, query, type RouteDefinition } from '@aida/core';
import { MemoryItemNotFoundError } from '../errors.js';
import { KNOWLEDGE_CATEGORIES } from '../llm/offline.js';
import type { MemoryStore } from '../store/index.js';
import { atLeast, me } from './access.js';
import { browseQuery, idParams, proposeForm, STATUS_FILTERS, voteForm } from './forms.js';
import { MESSAGES, noticeFrom, redirectWithNotice } from './notice.js';
import { listParams, pagerHref } from './present.js';

const html = { media: ['text/html'] };

/** `/memory`: browse, search, filter, vote, propose. The same store calls as `GET/POST /api/memory` and the vote route. */
export function browsePages(store: MemoryStore): RouteDefinition[] {
  return [
    {
      method: 'GET',
      path: '/memory',
      access: { role: 'viewer' },
      summary: 'Page: approved knowledge items (every status for km_admins), searched, filtered and paged, with votes and the propose form',
      input: { query: browseQuery },
      output: html,
      async handler(ctx) {
        const q = query(ctx, browseQuery);
        const reviewer = atLeast(ctx, 'km_admin');
        // Everyone browses what is approved; km_admins may look at any status (the review queue has the pending ones).
        const status = reviewer ? (q.status ?? 'approved') : 'approved';
        const { items, total } = await store.items.list(me(ctx).id, {
          status: status === 'all' ? undefined : status,
          category: q.category,
          search: q.q,
          limit: q.limit,
          offset: q.offset,
        });
        const state = { q: q.q, category: q.category, status: reviewer ? status : undefined, offset: q.offset };
        await ctx.render('memory/index.njk', {
          title: 'Memory',
          notice: noticeFrom(ctx, MESSAGES),
          items,
          page: { total, limit: q.limit, offset: q.offset },
          state,
          pagerHref: pagerHref(mountPrefix(ctx), state),
          categories: KNOWLEDGE_CATEGORIES,
          statuses: STATUS_FILTERS,
          reviewer,
          canPropose: atLeast(ctx, 'analyst'),
        });
      },
    },
    {
      method: 'POST',
      path: '/memory/propose',
      access: { role: 'analyst' },
      summary: 'Form: propose a knowledge item; it waits for review as pending',
      input: { body: proposeForm, bodyTypes: ['form'] },
      output: { status: 303, description: "To the new item's page" },
      async handler(ctx) {
        const p = body(ctx, proposeForm);
        const user = me(ctx);
        // What POST /api/memory stores: the proposer owns it and is its source.
        const item = await store.items.create({ ...p, ownerId: user.id, sourceUsers: [user.email] });
        redirectWithNotice(ctx, `/memory/${encodeURIComponent(item.id)}`, 'proposed');
      },
    },
    {
      method: 'POST',
      path: '/memory/:id/vote',
      access: { role: 'viewer' },
      summary: "Form: vote an item up or down; back to the list (filters and page kept) or the item's page",
      input: { params: idParams, body: voteForm, bodyTypes: ['form'] },
      output: { status: 303, description: 'Back to where the vote was cast', throws: [MemoryItemNotFoundError] },
      async handler(ctx) {
        const { id } = param(ctx, idParams);
        const f = body(ctx, voteForm);
        await store.votes.vote(me(ctx).id, id, f.vote);
        const code = f.vote === 1 ? 'voted_up' : 'voted_down';
        if (f.from === 'item') redirectWithNotice(ctx, `/memory/${encodeURIComponent(id)}`, code);
        else redirectWithNotice(ctx, '/memory', code, listParams(f), `#item-${encodeURIComponent(id)}`);
      },
    },
  ];
}
