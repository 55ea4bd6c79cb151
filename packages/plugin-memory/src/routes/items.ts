import type { Context } from 'koa';
import { z } from 'zod';
import { body, param, query, type RouteDefinition, type UserDirectory } from '@aida/core';
import { withActorNames } from '../actors.js';
import { MemoryItemNotFoundError } from '../errors.js';
import type { MemoryStore } from '../store/index.js';
import { ITEM_STATUSES } from '../store/types.js';
import { pageFrom, pagedSchema, pageQuery } from './paging.js';
import { auditEntrySchema, categorySchema, itemIdSchema, itemWithVotesSchema, tagsSchema, voteTallySchema } from './schemas.js';

const listQuery = z
  .object({
    status: z.enum(ITEM_STATUSES).optional(),
    category: z.string().min(1).max(64).optional(),
    search: z.string().trim().max(200).optional().meta({ description: 'Words that must all appear in the title or content (case-insensitive)' }),
  })
  .extend(pageQuery(100, 1000).shape);

const proposal = z.strictObject({
  title: z.string().trim().min(1).max(200),
  content: z.string().trim().min(1).max(10_000),
  category: categorySchema,
  tags: tagsSchema.default([]),
});

const voteBody = z.strictObject({
  // 0 does not retract a vote here: the REST contract allows 1 and -1 only.
  vote: z.literal([1, -1], { error: 'vote must be 1 (up) or -1 (down)' }),
});
const idParams = z.object({ id: itemIdSchema });

/** The caller: every route here is behind a role guard, so the host has set it. */
export const caller = (ctx: Context) => ctx.state.user!;

/** Routes any signed-in user has: browse, read, propose (analyst+), vote, own votes, stats. Paths without `:id` only. */
export function itemRoutes(store: MemoryStore): RouteDefinition[] {
  return [
    {
      method: 'GET',
      path: '/api/memory',
      access: { role: 'viewer' },
      summary: 'Knowledge items the caller may see, filtered and paged, with their votes',
      input: { query: listQuery },
      output: { body: pagedSchema('items', itemWithVotesSchema) },
      async handler(ctx) {
        const q = query(ctx, listQuery);
        const { items, total } = await store.items.list(caller(ctx).id, q);
        ctx.body = pageFrom('items', items, total, q);
      },
    },
    {
      method: 'POST',
      path: '/api/memory',
      access: { role: 'analyst' },
      summary: 'Proposes a knowledge item; it waits for review as pending',
      input: { body: proposal },
      output: { status: 201, body: z.object({ id: z.string(), status: z.literal('pending') }) },
      async handler(ctx) {
        const p = body(ctx, proposal);
        const user = caller(ctx);
        const item = await store.items.create({ ...p, ownerId: user.id, sourceUsers: [user.email] });
        ctx.status = 201;
        ctx.body = { id: item.id, status: item.status };
      },
    },
    {
      method: 'GET',
      path: '/api/memory/my-votes',
      access: { role: 'viewer' },
      summary: "The caller's votes, newest first",
      output: { body: z.object({ votes: z.array(z.object({ item_id: z.string(), vote: z.literal([1, -1]), voted_at: z.string() })) }) },
      async handler(ctx) {
        ctx.body = { votes: await store.votes.mine(caller(ctx).id) };
      },
    },
    {
      method: 'GET',
      path: '/api/memory/stats',
      access: { role: 'viewer' },
      summary: 'Counts of shared items by status and category (personal items are not counted)',
      output: {
        body: z.object({
          total: z.number().int(),
          required: z.number().int(),
          by_status: z.record(z.enum(ITEM_STATUSES), z.number().int()),
          by_category: z.record(z.string(), z.number().int()),
        }),
      },
      async handler(ctx) {
        ctx.body = await store.items.stats();
      },
    },
  ];
}

/** Routes on one item (`/api/memory/:id…`): registered after every fixed path, which they would otherwise shadow. */
export function itemByIdRoutes(store: MemoryStore, users: UserDirectory): RouteDefinition[] {
  return [
    {
      method: 'POST',
      path: '/api/memory/:id/vote',
      access: { role: 'viewer' },
      summary: "Votes an item up (1) or down (-1); voting again changes the caller's vote",
      input: { params: idParams, body: voteBody },
      output: { body: voteTallySchema.extend({ item_id: z.string() }), throws: [MemoryItemNotFoundError] },
      async handler(ctx) {
        const { id } = param(ctx, idParams);
        ctx.body = await store.votes.vote(caller(ctx).id, id, body(ctx, voteBody).vote);
      },
    },
    {
      method: 'GET',
      path: '/api/memory/:id',
      access: { role: 'viewer' },
      summary: 'One item with its votes and its history (the governance audit of it, oldest first)',
      input: { params: idParams },
      output: { body: z.object({ item: itemWithVotesSchema, history: z.array(auditEntrySchema) }), throws: [MemoryItemNotFoundError] },
      async handler(ctx) {
        const { id } = param(ctx, idParams);
        const item = await store.items.get(caller(ctx).id, id);
        if (!item) throw new MemoryItemNotFoundError(`No knowledge item ${id}`, { detail: { id } });
        ctx.body = { item, history: await withActorNames(users, await store.audit.history(id)) };
      },
    },
  ];
}
