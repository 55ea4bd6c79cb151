import { z } from 'zod';
import { NotFoundError, body, param, query, type RouteDefinition } from '@aida/core';
import type { Reader } from '../access.js';
import type { DataContext } from '../context.js';
import { profileSchema } from '../schemas.js';
import type { ProfileService } from './service.js';
import type { TableProfile } from './types.js';

const tableParams = z.object({ name: z.string().meta({ description: 'The table, as the catalog names it' }) });
/** Most tables one bulk read names: a whole first sync of a large catalog in a few requests. */
export const MAX_BULK_PROFILES = 1000;
const bulkBody = z.object({
  tables: z.array(z.string().min(1)).min(1).max(MAX_BULK_PROFILES).meta({ description: `Table names, at most ${MAX_BULK_PROFILES}` }),
});
const bulkOutput = z.object({
  profiles: z.record(z.string(), profileSchema),
  missing: z.array(z.string()).meta({ description: 'Named tables with no stored profile, or that the caller may not read, or that do not exist: alike, so no name leaks' }),
});
const profileQuery = z.object({ compute: z.string().optional().meta({ description: '`false`: only a stored profile, never a computation (404 when there is none)' }) });

/**
 * Recomputes a table's profile for a caller who may read it (403 otherwise, also for a table
 * that does not exist): what `POST …/refresh` and the portal's "Profile now" both do.
 */
export function refreshProfile(ctx: Pick<DataContext, 'access'>, service: ProfileService, user: Reader, name: string): Promise<TableProfile> {
  ctx.access.assertCanRead(user, name);
  return service.profile(name);
}

/**
 * `GET /api/catalog/profile/:name` (any reader of the table; computed on first request unless
 * `?compute=false`, which answers 404 for a table never profiled) and
 * `POST /api/catalog/profile/:name/refresh` (analyst+ who can read it; recomputes), and
 * `POST /api/catalog/profiles` (the stored profiles of many tables, for `da sync`). The read
 * permission is checked before existence, so a private table's name does not leak.
 */
export function profileRoutes(ctx: DataContext, service: ProfileService): RouteDefinition[] {
  return [
    {
      method: 'GET', path: '/api/catalog/profile/:name', access: { role: 'viewer' }, summary: "A table's column profile (statistics and alerts)",
      input: { params: tableParams, query: profileQuery },
      output: { body: profileSchema, errors: { 404: 'With ?compute=false: the table was never profiled' } },
      async handler(c) {
        const { name } = param(c, tableParams);
        ctx.access.assertCanRead(c.state.user!, name);
        // `?compute=false` (what `da sync` asks): only a stored profile, never a computation.
        const profile = query(c, profileQuery).compute === 'false' ? await service.stored(name) : await service.get(name);
        if (!profile) throw new NotFoundError(`No profile of '${name}' has been computed yet`);
        c.body = profile;
      },
    },
    {
      method: 'POST', path: '/api/catalog/profiles', access: { role: 'viewer' }, summary: 'The stored profiles of many tables at once (never computes one)',
      input: { body: bulkBody },
      output: { body: bulkOutput },
      async handler(c) {
        const user = c.state.user!;
        const profiles: Record<string, TableProfile> = {};
        const missing: string[] = [];
        // `da sync` asks for every table of a first sync: one request instead of one per table.
        for (const name of new Set(body(c, bulkBody).tables)) {
          const profile = ctx.access.canRead(user, name) && service.table(name) ? await service.stored(name) : null;
          if (profile) profiles[name] = profile;
          else missing.push(name);
        }
        c.body = { profiles, missing };
      },
    },
    {
      method: 'POST', path: '/api/catalog/profile/:name/refresh', access: { role: 'analyst' }, summary: "Recomputes a table's column profile",
      input: { params: tableParams },
      output: { body: profileSchema },
      async handler(c) {
        c.body = await refreshProfile(ctx, service, c.state.user!, param(c, tableParams).name);
      },
    },
  ];
}
