import { body, param, type RouteDefinition, type UserDirectory } from '@aida/core';
import { actorNames } from '../actors.js';
import { MemoryItemNotFoundError, MemoryTransitionError } from '../errors.js';
import { KNOWLEDGE_CATEGORIES } from '../llm/offline.js';
import type { MemoryStore } from '../store/index.js';
import { atLeast, me } from './access.js';
import { editForm, governForm, idParams } from './forms.js';
import { historyRows } from './history.js';
import { MESSAGES, noticeFrom, redirectWithNotice } from './notice.js';
import { actionsFor, paragraphs } from './present.js';

const KM_ADMIN = { role: 'km_admin' } as const;
const html = { media: ['text/html'] };
const itemPath = (id: string) => `/memory/${encodeURIComponent(id)}`;
const notFound = (id: string) => new MemoryItemNotFoundError(`No knowledge item ${id}`, { detail: { id } });

/** `/memory/:id` (the item with its history), its edit page and governance forms. Registered after every fixed `/memory/…` path. */
export function itemPages(store: MemoryStore, users: UserDirectory): RouteDefinition[] {
  return [
    {
      method: 'GET',
      path: '/memory/:id',
      access: { role: 'viewer' },
      summary: 'Page: one knowledge item with its votes and history; governance forms for km_admins',
      input: { params: idParams },
      output: { media: html.media, throws: [MemoryItemNotFoundError] },
      async handler(ctx) {
        const { id } = param(ctx, idParams);
        const viewer = me(ctx);
        // The same read as GET /api/memory/:id: someone else's personal item is unknown.
        const item = await store.items.get(viewer.id, id);
        if (!item) throw notFound(id);
        const reviewer = atLeast(ctx, 'km_admin') && !item.personal;
        const audit = await store.audit.history(id);
        await ctx.render('memory/item.njk', {
          title: item.title,
          notice: noticeFrom(ctx, MESSAGES),
          item,
          paragraphs: paragraphs(item.content),
          history: historyRows(audit, viewer.id, await actorNames(users, audit)),
          reviewer,
          actions: reviewer ? actionsFor(item) : [],
        });
      },
    },
    {
      method: 'GET',
      path: '/memory/:id/edit',
      access: KM_ADMIN,
      summary: "Page: edit an item's title, content, category and tags",
      input: { params: idParams },
      output: { media: html.media, throws: [MemoryItemNotFoundError] },
      async handler(ctx) {
        const { id } = param(ctx, idParams);
        const item = await store.items.get(me(ctx).id, id);
        // Admins do not govern personal items (Governance answers them as unknown too).
        if (!item || item.personal) throw notFound(id);
        await ctx.render('memory/edit.njk', { title: `Edit: ${item.title}`, item, categories: KNOWLEDGE_CATEGORIES });
      },
    },
    {
      method: 'POST',
      path: '/memory/:id/edit',
      access: KM_ADMIN,
      summary: "Form: save an item's title, content, category and tags (its status stays)",
      input: { params: idParams, body: editForm, bodyTypes: ['form'] },
      output: { status: 303, description: "To the item's page", throws: [MemoryItemNotFoundError] },
      async handler(ctx) {
        const { id } = param(ctx, idParams);
        const { reason, ...edit } = body(ctx, editForm);
        // The same call as POST /api/memory/admin/edit, with its audit row.
        await store.governance.edit(me(ctx).id, id, edit, reason);
        redirectWithNotice(ctx, itemPath(id), 'edited');
      },
    },
    {
      method: 'POST',
      path: '/memory/:id/govern',
      access: KM_ADMIN,
      summary: 'Form: approve, reject, mandate or revoke one item; back to the review queue or the item',
      input: { params: idParams, body: governForm, bodyTypes: ['form'] },
      output: { status: 303, description: 'Back to where the action was taken', throws: [MemoryItemNotFoundError, MemoryTransitionError] },
      async handler(ctx) {
        const { id } = param(ctx, idParams);
        const f = body(ctx, governForm);
        // The same call as POST /api/memory/admin/<action>, with its audit row.
        await store.governance.act(me(ctx).id, f.action, id, f.reason);
        redirectWithNotice(ctx, f.from === 'review' ? '/memory/review' : itemPath(id), f.action);
      },
    },
  ];
}
