import { createHash } from 'node:crypto';
import type { RouteDefinition } from '@aida/core';
import type { AnalyticsTable } from '../analytics/analytics-db.js';
import type { Reader } from './access.js';
import type { DataContext } from './context.js';
import type { RegistryEntry } from './registry.js';
import { catalogSchema } from './schemas.js';

/** One registered table as the catalog shows it: its registry entry, what is served of it, and whether the caller may read it. */
export interface CatalogEntry {
  entry: RegistryEntry;
  /** The analytics table serving it; undefined until it has been extracted. */
  served: AnalyticsTable | undefined;
  /** The registry's description, else the extract's. */
  description: string | null;
  readable: boolean;
}

/**
 * Every registered table, with the caller's read permission: the one place the catalog's
 * read rule is applied, for `GET /api/catalog/tables` and the portal's catalog pages alike.
 */
export function catalogEntries(ctx: Pick<DataContext, 'registry' | 'analytics' | 'access'>, user: Reader): CatalogEntry[] {
  const served = new Map(ctx.analytics.tables().map((t) => [t.table_name.toLowerCase(), t]));
  return ctx.registry.list().map((entry) => {
    const t = served.get(entry.id);
    return { entry, served: t, description: entry.description ?? t?.description ?? null, readable: ctx.access.canRead(user, entry.id) };
  });
}

/**
 * `GET /api/catalog/tables`: the tables the caller may read. The JSON body is cached per user
 * and rebuilt only when the registry, the grants or the analytics database change, so a busy
 * catalog costs a map lookup, not a thousand permission checks and a serialisation.
 */
export function catalogRoutes(ctx: DataContext): RouteDefinition[] {
  // Bytes, not a string: a string body would be encoded again on every request (250 KB for 1,000 tables).
  const cache = new Map<string, { stamp: string; body: Buffer; etag: string }>();
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
          const tables = catalogEntries(ctx, user)
            .filter((row) => row.readable)
            .map(({ entry: e, served: t, description }) => ({
              id: e.id, name: e.name, description, source_type: e.source_type ?? t?.source_type ?? null,
              sync_strategy: e.sync_strategy, query_mode: t?.query_mode ?? e.query_mode, bucket: e.bucket, is_public: e.is_public,
              rows: t?.rows ?? null, size_bytes: t?.size_bytes ?? null, updated: t?.extracted_at ?? null,
            }));
          const body = Buffer.from(JSON.stringify({ tables, count: tables.length }));
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
