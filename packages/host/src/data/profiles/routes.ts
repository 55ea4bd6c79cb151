import { z } from 'zod';
import { NotFoundError, param, query, type RouteDefinition } from '@aida/core';
import type { DataContext } from '../context.js';
import { profileSchema } from '../schemas.js';
import type { ProfileService } from './service.js';

const tableParams = z.object({ name: z.string().meta({ description: 'The table, as the catalog names it' }) });
const profileQuery = z.object({ compute: z.string().optional().meta({ description: '`false`: only a stored profile, never a computation (404 when there is none)' }) });

/**
 * `GET /api/catalog/profile/:name` (any reader of the table; computed on first request unless
 * `?compute=false`, which answers 404 for a table never profiled) and
 * `POST /api/catalog/profile/:name/refresh` (analyst+ who can read it; recomputes). The read
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
      method: 'POST', path: '/api/catalog/profile/:name/refresh', access: { role: 'analyst' }, summary: "Recomputes a table's column profile",
      input: { params: tableParams },
      output: { body: profileSchema },
      async handler(c) {
        const { name } = param(c, tableParams);
        ctx.access.assertCanRead(c.state.user!, name);
        c.body = await service.profile(name);
      },
    },
  ];
}
