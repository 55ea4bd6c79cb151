import { createHash } from 'node:crypto';
import type { RouteDefinition } from '@aida/core';
import type { DataContext } from './context.js';
import { catalogSchema } from './schemas.js';

/**
 * `GET /api/catalog/tables`: the tables the caller may read. The JSON body is cached per user
 * and rebuilt only when the registry, the grants or the analytics database change, so a busy
 * catalog costs a map lookup, not a thousand permission checks and a serialisation.
 */
export function catalogRoutes(ctx: DataContext): RouteDefinition[] {
  const cache = new Map<string, { stamp: string; body: string; etag: string }>();
  const stamp = () => `${ctx.registry.changeVersion}:${ctx.identity.permissions.changeVersion}:${ctx.analytics.generation}`;
  return [
    {
      method: 'GET', path: '/api/catalog/tables', access: { role: 'viewer' }, summary: 'Tables the caller may read, with their size and freshness',
      output: { body: catalogSchema, description: 'The catalog (304 when If-None-Match has its ETag)' },
      handler(c) {
        const user = c.state.user!;
        const now = stamp();
        let hit = cache.get(user.id);
        if (!hit || hit.stamp !== now) {
          const served = new Map(ctx.analytics.tables().map((t) => [t.table_name.toLowerCase(), t]));
          const tables = ctx.registry
            .list()
            .filter((e) => ctx.access.canRead(user, e.id))
            .map((e) => {
              const t = served.get(e.id);
              return {
                id: e.id, name: e.name, description: e.description ?? t?.description ?? null, source_type: e.source_type ?? t?.source_type ?? null,
                sync_strategy: e.sync_strategy, query_mode: e.query_mode, bucket: e.bucket, is_public: e.is_public,
                rows: t?.rows ?? null, size_bytes: t?.size_bytes ?? null, updated: t?.extracted_at ?? null,
              };
            });
          const body = JSON.stringify({ tables, count: tables.length });
          hit = { stamp: now, body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
          if (cache.size > 10_000) cache.clear();
          cache.set(user.id, hit);
        }
        c.set('ETag', hit.etag);
        c.set('Cache-Control', 'private, no-cache');
        if (c.get('if-none-match') === hit.etag) {
          c.status = 304;
          return;
        }
        c.type = 'application/json';
        c.body = hit.body;
      },
    },
  ];
}
