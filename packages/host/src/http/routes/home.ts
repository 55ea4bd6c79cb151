import type { RouteDefinition } from '@aida/core';
import type { AnalyticsTable } from '../../analytics/analytics-db.js';

export interface HomeSource {
  instanceName: string;
  plugins(): { id: string; kind: string; status: string; description?: string; package: string }[];
  tables(): readonly AnalyticsTable[];
}

/** `/`: the installed plugins and the tables of the analytics database (the full catalog UI is a later issue). */
export function homeRoute(source: HomeSource): RouteDefinition {
  return {
    method: 'GET',
    path: '/',
    access: { role: 'viewer' },
    summary: 'Home page: plugins and analytics tables',
    async handler(ctx) {
      await ctx.render('home.njk', { title: source.instanceName, plugins: source.plugins(), tables: source.tables() });
    },
  };
}
