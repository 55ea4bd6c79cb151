import type { RouteDefinition } from '@aida/core';
import type { AnalyticsTable } from '../../analytics/analytics-db.js';
import type { Reader } from '../../data/access.js';

export interface HomeSource {
  instanceName: string;
  plugins(): { id: string; kind: string; status: string; description?: string; package: string }[];
  tables(): readonly AnalyticsTable[];
  /** The same read rule as the catalog API: a page never shows a table its viewer may not read. */
  canRead(user: Reader, table: string): boolean;
}

/** `/`: the installed plugins and the tables of the analytics database the caller may read. */
export function homeRoute(source: HomeSource): RouteDefinition {
  return {
    method: 'GET',
    path: '/',
    access: { role: 'viewer' },
    summary: 'Home page: plugins and analytics tables',
    async handler(ctx) {
      await ctx.render('home.njk', {
        title: source.instanceName,
        plugins: source.plugins(),
        tables: source.tables().filter((t) => source.canRead(ctx.state.user!, t.table_name)),
      });
    },
  };
}
