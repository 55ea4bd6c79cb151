import { z } from 'zod';
import { query, type RouteDefinition } from '@aida/core';
import { catalogEntries } from '../data/catalog.js';
import { catalogRow, matchesFilter, optionsOf, servedColumns, type CatalogFilter } from './catalog-search.js';
import type { PortalContext } from './context.js';

// An empty field of the GET form (`?source=`) means "any", as the select's first option says.
const filterValue = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const catalogQuery = z.object({
  q: filterValue.meta({ description: 'Matches table names, descriptions and column names (case-insensitive)' }),
  source: filterValue.meta({ description: 'Only tables of this source' }),
  bucket: filterValue.meta({ description: 'Only tables in this bucket' }),
});

/** `/catalog`: every table the caller can read, with search and filters. */
export function catalogPages(portal: PortalContext): RouteDefinition[] {
  return [
    {
      method: 'GET',
      path: '/catalog',
      access: { role: 'viewer' },
      summary: 'Catalog page: the tables you can read, searchable by name, description and column',
      input: { query: catalogQuery },
      output: { media: ['text/html'] },
      async handler(ctx) {
        const user = ctx.state.user!;
        const filter: CatalogFilter = query(ctx, catalogQuery);
        const [columns, states] = await Promise.all([servedColumns(portal.data.analytics, portal.data.logger), portal.data.sync.states()]);
        const stateByTable = new Map(states.map((s) => [s.table_id.toLowerCase(), s]));
        // The API's read rule decides; unreadable tables are listed (name and description only) when the instance says so.
        const all = catalogEntries(portal.data, user)
          .filter((c) => c.readable || portal.listRestricted)
          .map((c) => catalogRow(c, columns, stateByTable));
        const tables = all.filter((r) => matchesFilter(r, filter));
        const sources = optionsOf(all, 'source');
        const buckets = optionsOf(all, 'bucket');
        // A filter value no readable table has stays selected (and matches nothing), so the form says what was asked.
        if (filter.source && !sources.includes(filter.source)) sources.push(filter.source);
        if (filter.bucket && !buckets.includes(filter.bucket)) buckets.push(filter.bucket);
        await ctx.render('catalog.njk', {
          title: 'Catalog',
          tables,
          readableCount: all.filter((r) => r.readable).length,
          filter,
          filtered: Boolean(filter.q || filter.source || filter.bucket),
          sources,
          buckets,
        });
      },
    },
  ];
}
