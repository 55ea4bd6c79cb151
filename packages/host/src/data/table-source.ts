import type { AnalyticsDb } from '../analytics/analytics-db.js';
import type { TableRegistry } from './registry.js';

/**
 * The source (connector) that provides a table: the one the analytics database serves it
 * from, or, for a table registered but not extracted yet, the registry's folder or bucket
 * when a connector has that source name. Undefined when no connector provides it.
 */
export function sourceOfTable(table: string, d: { analytics: AnalyticsDb; registry: TableRegistry; sources: ReadonlySet<string> }): string | undefined {
  const id = table.toLowerCase();
  const served = d.analytics.tables().find((t) => t.table_name.toLowerCase() === id)?.source;
  if (served && d.sources.has(served)) return served;
  const entry = d.registry.get(id);
  return [entry?.folder, entry?.bucket].find((s): s is string => Boolean(s && d.sources.has(s)));
}
