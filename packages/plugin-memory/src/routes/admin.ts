import { z } from 'zod';
import { body, query, type RouteDefinition, type UserDirectory } from '@aida/core';
import { withActorNames } from '../actors.js';
import { MemoryItemNotFoundError, MemoryTransitionError } from '../errors.js';
import type { MemoryStore } from '../store/index.js';
import { GOVERNANCE_ACTIONS, type GovernanceAction } from '../store/types.js';
import { caller } from './items.js';
import { pageFrom, pagedSchema, pageQuery } from './paging.js';
import { actionSchema, auditEntrySchema, categorySchema, itemIdSchema, itemSchema, itemWithVotesSchema, reasonSchema, tagsSchema } from './schemas.js';

const KM_ADMIN = { role: 'km_admin' } as const;
const actionBody = z.strictObject({ item_id: itemIdSchema, reason: reasonSchema });
const editBody = z
  .strictObject({
    item_id: itemIdSchema,
    title: z.string().trim().min(1).max(200).optional(),
    content: z.string().trim().min(1).max(10_000).optional(),
    category: categorySchema.optional(),
    tags: tagsSchema.optional(),
    reason: reasonSchema,
  })
  .refine((e) => e.title !== undefined || e.content !== undefined || e.category !== undefined || e.tags !== undefined, {
    message: 'give at least one of title, content, category, tags',
  });
const batchBody = z.strictObject({ item_ids: z.array(itemIdSchema).min(1).max(500), action: actionSchema, reason: reasonSchema });
const auditQuery = z.object({ item_id: itemIdSchema.optional(), action: z.string().max(32).optional() }).extend(pageQuery(100, 1000).shape);
const pendingQuery = pageQuery(100, 1000);

const SUMMARY: Record<GovernanceAction, string> = {
  approve: 'Approves an item: it goes into bundles, ranked',
  reject: 'Rejects a pending item',
  mandate: 'Makes an item required: approved and in every bundle, outside the token budget',
  revoke: 'Withdraws an approved (or required) item from the bundles',
};

/** The review routes, km_admin and up. Someone's personal item is unknown here too: admins do not govern personal notes. */
export function adminRoutes(store: MemoryStore, users: UserDirectory): RouteDefinition[] {
  const actions: RouteDefinition[] = GOVERNANCE_ACTIONS.map((action) => ({
    method: 'POST',
    path: `/api/memory/admin/${action}`,
    access: KM_ADMIN,
    summary: SUMMARY[action],
    input: { body: actionBody },
    output: { body: z.object({ item: itemSchema }), throws: [MemoryItemNotFoundError, MemoryTransitionError] },
    async handler(ctx) {
      const b = body(ctx, actionBody);
      ctx.body = { item: await store.governance.act(caller(ctx).id, action, b.item_id, b.reason) };
    },
  }));
  return [
    ...actions,
    {
      method: 'POST',
      path: '/api/memory/admin/edit',
      access: KM_ADMIN,
      summary: "Changes an item's title, content, category or tags (its status stays)",
      input: { body: editBody },
      output: { body: z.object({ item: itemSchema }), throws: [MemoryItemNotFoundError] },
      async handler(ctx) {
        const { item_id, reason, ...edit } = body(ctx, editBody);
        ctx.body = { item: await store.governance.edit(caller(ctx).id, item_id, edit, reason) };
      },
    },
    {
      method: 'POST',
      path: '/api/memory/admin/batch',
      access: KM_ADMIN,
      summary: 'One governance action on many items; those it does not apply to are reported and left alone',
      input: { body: batchBody },
      output: {
        body: z.object({
          action: actionSchema,
          done: z.array(z.string()),
          failed: z.array(z.object({ item_id: z.string(), code: z.string(), message: z.string() })),
        }),
      },
      async handler(ctx) {
        const b = body(ctx, batchBody);
        ctx.body = { action: b.action, ...(await store.governance.batch(caller(ctx).id, b.action, b.item_ids, b.reason)) };
      },
    },
    {
      method: 'GET',
      path: '/api/memory/admin/pending',
      access: KM_ADMIN,
      summary: 'The review queue: pending shared items, oldest first',
      input: { query: pendingQuery },
      output: { body: pagedSchema('items', itemWithVotesSchema) },
      async handler(ctx) {
        const q = query(ctx, pendingQuery);
        const { items, total } = await store.items.pending(q, caller(ctx).id);
        ctx.body = pageFrom('items', items, total, q);
      },
    },
    {
      method: 'GET',
      path: '/api/memory/admin/audit',
      access: KM_ADMIN,
      summary: 'The governance audit, newest first: who did what to which item, with before and after',
      input: { query: auditQuery },
      output: { body: pagedSchema('items', auditEntrySchema) },
      async handler(ctx) {
        const q = query(ctx, auditQuery);
        const { entries, total } = await store.audit.list({ itemId: q.item_id, action: q.action, limit: q.limit, offset: q.offset });
        ctx.body = pageFrom('items', await withActorNames(users, entries), total, q);
      },
    },
  ];
}
