import { z } from 'zod';
import type { RouteDefinition } from '@aida/core';
import { query } from '../../http/body.js';
import type { Identity } from '../identity.js';

const when = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO date or date-time' }).transform((s) => new Date(s));

const auditQuery = z.object({
  user_id: z.string().optional(),
  action: z.string().optional(),
  since: when.optional(),
  until: when.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

/** `GET /api/admin/audit`: filter by user, action and time, paged. */
export function auditRoutes(id: Identity): RouteDefinition[] {
  return [
    {
      method: 'GET', path: '/api/admin/audit', access: { role: 'admin' }, summary: 'Audit rows, newest first', input: { query: auditQuery },
      async handler(ctx) {
        const q = query(ctx, auditQuery);
        const { items, total } = await id.audit.query(q);
        ctx.body = { items, total, limit: q.limit, offset: q.offset };
      },
    },
  ];
}
