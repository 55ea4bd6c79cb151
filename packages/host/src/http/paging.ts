import { z } from 'zod';

/** Where a page starts and how long it is, as every list route reads it from the query string. */
export interface Page {
  limit: number;
  offset: number;
}

/**
 * The paging parameters every list shares: `limit` (1…max) and `offset` (0…), whole numbers;
 * anything else is a 400 naming the parameter. Extend it with a list's own filters. Lists
 * that clients read whole (users, tables, tokens) default to a long page, so a client that
 * never pages still gets everything on an instance of ordinary size.
 */
export function pageQuery(opts: { defaultLimit?: number; maxLimit?: number } = {}) {
  const max = opts.maxLimit ?? 10_000;
  return z.object({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(max)
      .default(opts.defaultLimit ?? 1000)
      .meta({ description: `Items per page (at most ${max})` }),
    offset: z.coerce.number().int().min(0).default(0).meta({ description: 'Items to skip' }),
  });
}

/**
 * The answer of a list: the items under the list's own field name, `count` of them (as the
 * catalog and the lists before paging had it), `total` in the whole list, `limit` and `offset`.
 */
export type Paged<K extends string, T> = { [key in K]: T[] } & { count: number; total: number; limit: number; offset: number };

/** One page of a list held in memory. */
export function pageOf<K extends string, T>(field: K, all: readonly T[], page: Page): Paged<K, T> {
  return pageFrom(field, all.slice(page.offset, page.offset + page.limit), all.length, page);
}

/** A page a query already cut (LIMIT/OFFSET), with the count of the whole list. */
export function pageFrom<K extends string, T>(field: K, items: T[], total: number, page: Page): Paged<K, T> {
  return { [field]: items, count: items.length, total, limit: page.limit, offset: page.offset } as Paged<K, T>;
}

/** The response schema of a list, for `RouteOutput.body`. */
export function pagedSchema(field: string, item: z.ZodType) {
  return z.object({
    [field]: z.array(item),
    count: z.number().int().meta({ description: 'Items in this answer' }),
    total: z.number().int().meta({ description: 'Items in the whole list (with the same filters)' }),
    limit: z.number().int(),
    offset: z.number().int(),
  });
}
