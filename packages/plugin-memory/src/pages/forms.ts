import { z } from 'zod';
import { categorySchema, itemIdSchema, reasonSchema, tagsSchema } from '../routes/schemas.js';
import { GOVERNANCE_ACTIONS, ITEM_STATUSES } from '../store/types.js';

/**
 * What the memory pages accept: GET filters and urlencoded form posts. A browser sends an
 * untouched field as '' and every value as text, so blanks become "not given" and numbers are
 * coerced; the limits are the JSON routes' own. `_csrf` is checked by the host before any route
 * runs and is dropped here (the objects are not strict).
 */
const blank = (v: unknown) => (v === '' ? undefined : v);
const optional = <T extends z.ZodType>(s: T) => z.preprocess(blank, s.optional());

/** `status=all` lists every status (km_admin and up); no status is "approved" on the browse page. */
export const STATUS_FILTERS = [...ITEM_STATUSES, 'all'] as const;

/** Where the browse page is: kept across a vote so the user lands where they were. */
const listState = {
  q: optional(z.string().trim().max(200)),
  category: optional(categorySchema),
  status: optional(z.enum(STATUS_FILTERS)),
  offset: z.preprocess(blank, z.coerce.number().int().min(0).default(0)),
};
export type ListState = { q?: string; category?: string; status?: (typeof STATUS_FILTERS)[number]; offset: number };

export const browseQuery = z.object({ ...listState, limit: z.preprocess(blank, z.coerce.number().int().min(1).max(100).default(20)) });

export const pendingQuery = z.object({
  offset: z.preprocess(blank, z.coerce.number().int().min(0).default(0)),
  limit: z.preprocess(blank, z.coerce.number().int().min(1).max(200).default(50)),
});

export const idParams = z.object({ id: itemIdSchema });

/** "finance, revenue" → ['finance', 'revenue'], then the JSON routes' limits on tags. */
const tagList = z
  .string()
  .max(1100)
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
  )
  .pipe(tagsSchema);

const title = z.string().trim().min(1, 'Give the item a title').max(200);
const content = z.string().trim().min(1, 'Write what the item says').max(10_000);

/** The propose form: the same fields and limits as `POST /api/memory`. */
export const proposeForm = z.object({ title, content, category: categorySchema, tags: tagList });

/** A vote from the browse page or an item page; the list state brings the user back. */
export const voteForm = z.object({
  vote: z.enum(['1', '-1'], { error: 'vote must be 1 (up) or -1 (down)' }).transform((v): 1 | -1 => (v === '1' ? 1 : -1)),
  from: z.enum(['list', 'item']).default('list'),
  ...listState,
});

const reason = z.preprocess(blank, reasonSchema);
const action = z.enum(GOVERNANCE_ACTIONS, { error: `action must be one of ${GOVERNANCE_ACTIONS.join(', ')}` });

/** One governance action on one item, from the review queue or the item's page. */
export const governForm = z.object({ action, reason, from: z.enum(['review', 'item']).default('item') });

/** A checkbox sent once is a string, several times an array (qs); none at all is no field. */
export const batchForm = z.object({
  item_ids: z.preprocess((v) => (v === undefined ? [] : typeof v === 'string' ? [v] : v), z.array(itemIdSchema).min(1, 'Choose at least one item').max(500)),
  action,
  reason,
});

/** The edit form: every field is sent (the form is filled with the item as it is). */
export const editForm = z.object({ title, content, category: categorySchema, tags: tagList, reason });
