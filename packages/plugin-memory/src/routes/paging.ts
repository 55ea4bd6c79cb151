import { z } from 'zod';

/**
 * Paging as the host's lists do it (`limit` 1…max, `offset` 0…, whole numbers) and the same
 * answer shape: the items, `count` of them, `total` with the same filters, `limit`, `offset`.
 */
export function pageQuery(defaultLimit: number, maxLimit: number) {
  return z.object({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(maxLimit)
      .default(defaultLimit)
      .meta({ description: `Items per page (at most ${maxLimit})` }),
    offset: z.coerce.number().int().min(0).default(0).meta({ description: 'Items to skip' }),
  });
}

export function pagedSchema(field: string, item: z.ZodType) {
  return z.object({
    [field]: z.array(item),
    count: z.number().int().meta({ description: 'Items in this answer' }),
    total: z.number().int().meta({ description: 'Items in the whole list (with the same filters)' }),
    limit: z.number().int(),
    offset: z.number().int(),
  });
}

export function pageFrom<T>(field: string, items: T[], total: number, page: { limit: number; offset: number }) {
  return { [field]: items, count: items.length, total, limit: page.limit, offset: page.offset };
}
