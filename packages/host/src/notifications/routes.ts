import { z } from 'zod';
import { isoTimestamp, param, query, type RouteDefinition } from '@aida/core';
import { NotificationNotFoundError } from '../errors.js';
import { pagedSchema, pageFrom, pageQuery } from '../http/paging.js';
import type { NotificationStore, StoredNotification } from './store.js';

const listQuery = z
  .object({ origin: z.string().optional().meta({ description: 'Only notifications of one producer, e.g. `alert:<id>`' }) })
  .extend(pageQuery({ defaultLimit: 50, maxLimit: 500 }).shape);

const idParams = z.object({ id: z.string().min(1) });

const deliverySchema = z.object({ status: z.enum(['delivered', 'skipped', 'failed']), detail: z.string().optional() });
export const notificationSchema = z.object({
  id: z.string(),
  title: z.string(),
  body: z.string(),
  origin: z.string(),
  chart_url: z.string().nullable(),
  created_at: isoTimestamp,
  deliveries: z.record(z.string(), deliverySchema),
});

export function notificationJson(n: StoredNotification) {
  return {
    id: n.id,
    title: n.title,
    body: n.body,
    origin: n.origin,
    chart_url: n.chartUrl ?? null,
    created_at: n.createdAt.toISOString(),
    deliveries: n.deliveries,
  };
}

/** `GET /api/notifications` (the caller's own, newest first) and each one's chart image. */
export function notificationRoutes(store: NotificationStore): RouteDefinition[] {
  return [
    {
      method: 'GET',
      path: '/api/notifications',
      access: { role: 'viewer' },
      summary: 'Your notifications (alerts, scripts, plugins), newest first, with what each channel did',
      input: { query: listQuery },
      output: { body: pagedSchema('notifications', notificationSchema) },
      async handler(ctx) {
        const q = query(ctx, listQuery);
        const { items, total } = await store.list(ctx.state.user!.id, q);
        ctx.body = pageFrom('notifications', items.map(notificationJson), total, q);
      },
    },
    {
      method: 'GET',
      path: '/api/notifications/:id/chart',
      access: { role: 'viewer' },
      summary: "A notification's chart as a PNG image (only your own)",
      input: { params: idParams },
      output: { media: ['image/png'], throws: [NotificationNotFoundError] },
      async handler(ctx) {
        const { id } = param(ctx, idParams);
        const png = await store.chart(id, ctx.state.user!.id);
        if (!png) throw new NotificationNotFoundError(`You have no notification ${id} with a chart`);
        ctx.set('Cache-Control', 'private, max-age=86400');
        ctx.type = 'image/png';
        ctx.body = Buffer.from(png);
      },
    },
  ];
}
