import type { AnalyticsTable } from '../../analytics/analytics-db.js';
import { TableRemoteError } from '../../errors.js';
import type { DataContext } from '../context.js';

/** The served table of that name when it stays at its source (`query_mode` remote). */
export function remoteTable(ctx: Pick<DataContext, 'analytics'>, name: string): AnalyticsTable | undefined {
  const id = name.toLowerCase();
  return ctx.analytics.tables().find((t) => t.query_mode === 'remote' && t.table_name.toLowerCase() === id);
}

/**
 * The answer for a table that stays at its source named where only local rows are served
 * (POST /api/query, a download, a profile): a 400 saying where it can be queried, in which SQL.
 */
export function remoteTableError(ctx: Pick<DataContext, 'connectors'>, t: AnalyticsTable, what: string): InstanceType<typeof TableRemoteError> {
  const dialect = ctx.connectors().find((c) => c.source === t.source)?.remote?.dialect;
  return new TableRemoteError(
    `Table '${t.table_name}' stays at its source '${t.source}' and ${what}: query it there with POST /api/query/remote${dialect ? ` (in ${dialect})` : ''}, or join its rows to local tables with POST /api/query/hybrid`,
    { detail: { table: t.table_name, source: t.source, query_mode: 'remote', query_with: '/api/query/remote' } },
  );
}
