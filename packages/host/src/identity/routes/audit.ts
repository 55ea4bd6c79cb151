import { z } from 'zod';
import { query, type RouteDefinition } from '@aida/core';
import { pagedSchema, pageFrom, pageQuery } from '../../http/paging.js';
import type { Identity } from '../identity.js';
import { auditRowSchema } from './schemas.js';

const when = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO date or date-time' })
  .transform((s) => new Date(s));

const auditQuery = z
  .object({
    user_id: z.string().optional(),
    action: z.string().optional().meta({ description: 'Method and route, e.g. `GET /api/users`' }),
    since: when.optional(),
    until: when.optional(),
  })
  .extend(pageQuery({ defaultLimit: 100, maxLimit: 1000 }).shape);

/** `GET /api/admin/audit`: filter by user, action and time, paged. */
export function auditRoutes(id: Identity): RouteDefinition[] {
  return [
    {
      method: 'GET',
      path: '/api/admin/audit',
      access: { role: 'admin' },
      summary: 'Audit rows of API calls, newest first, filtered by user, action and time',
      input: { query: auditQuery },
      output: { body: pagedSchema('items', auditRowSchema) },
      async handler(ctx) {
        const q = query(ctx, auditQuery);
        const { items, total } = await id.audit.query(q);
        ctx.body = pageFrom('items', items, total, q);
      },
    },
  ];
}
