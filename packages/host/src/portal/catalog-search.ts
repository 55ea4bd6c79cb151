import type { Logger } from 'pino';
import { queryRows } from '@aida/core';
import type { AnalyticsDb } from '../analytics/analytics-db.js';
import type { CatalogEntry } from '../data/catalog.js';
import type { SyncStateRow } from '../state/repositories/sync.js';

/** A column of a served table, as DuckDB's catalog knows it. */
export interface ColumnInfo {
  name: string;
  type: string;
  /** A column comment, when the analytics database has one. */
  description: string | null;
}

export type TableColumns = ReadonlyMap<string, readonly ColumnInfo[]>;

const columnCache = new WeakMap<AnalyticsDb, { generation: number; columns: Promise<TableColumns> }>();

/**
 * The columns of every served table, keyed by lower-cased table name: one catalog query per
 * analytics generation (DuckDB reads the Parquet schemas, no data), shared by the catalog's
 * search and the table pages. Empty when the analytics database is not open or cannot say.
 */
export function servedColumns(analytics: AnalyticsDb, logger: Logger): Promise<TableColumns> {
  if (!analytics.isOpen) return Promise.resolve(new Map());
  const generation = analytics.generation;
  const hit = columnCache.get(analytics);
  if (hit && hit.generation === generation) return hit.columns;
  // Read in the tick `generation` was: withConnection opens that same generation.
  const columns = analytics
    .withConnection((conn) =>
      queryRows<{ table_name: string; column_name: string; data_type: string; comment: string | null }>(
        conn,
        `SELECT table_name, column_name, data_type, comment FROM duckdb_columns()
         WHERE NOT internal AND database_name = current_database() AND schema_name = current_schema() ORDER BY table_name, column_index`,
      ),
    )
    .then((rows) => {
      const out = new Map<string, ColumnInfo[]>();
      for (const r of rows) {
        const key = r.table_name.toLowerCase();
        out.set(key, [...(out.get(key) ?? []), { name: r.column_name, type: r.data_type, description: r.comment || null }]);
      }
      return out as TableColumns;
    })
    .catch((e: unknown) => {
      logger.warn({ err: e }, 'reading the columns of the analytics tables failed; the catalog searches names and descriptions only');
      if (columnCache.get(analytics)?.columns === columns) columnCache.delete(analytics);
      return new Map() as TableColumns;
    });
  columnCache.set(analytics, { generation, columns });
  return columns;
}

/** One line of `/catalog`. A table the caller cannot read has its name and description only. */
export interface CatalogRow {
  id: string;
  name: string;
  description: string | null;
  readable: boolean;
  details?: {
    source: string | null;
    bucket: string | null;
    rows: number | null;
    size_bytes: number | null;
    extracted_at: Date | null;
    /** Outcome of the last extraction (`ok` / `error`), when one ran. */
    last_status: string | null;
    last_error: string | null;
    columns: readonly string[];
  };
}

/** `states` is keyed by lower-cased table name, as `columns` is. */
export function catalogRow(c: CatalogEntry, columns: TableColumns, states: ReadonlyMap<string, SyncStateRow>): CatalogRow {
  const base = { id: c.entry.id, name: c.entry.name, description: c.description, readable: c.readable };
  if (!c.readable) return base;
  const key = (c.served?.table_name ?? c.entry.id).toLowerCase();
  const state = states.get(key);
  return {
    ...base,
    details: {
      source: c.served?.source ?? null,
      bucket: c.entry.bucket,
      rows: c.served?.rows ?? null,
      size_bytes: c.served?.size_bytes ?? null,
      extracted_at: c.served?.extracted_at ?? null,
      last_status: state?.status ?? null,
      last_error: state?.error ?? null,
      columns: (columns.get(key) ?? []).map((col) => col.name),
    },
  };
}

export interface CatalogFilter {
  /** Matched, case-insensitively, against the name, the description and (of readable tables) the column names. */
  q?: string;
  source?: string;
  bucket?: string;
}

/**
 * Whether a line passes the search and filters. A table the caller cannot read matches on its
 * name and description only, and never a source or bucket filter: its columns, source and
 * bucket are not the caller's to learn, and a filter that kept or dropped it would tell them.
 * An unknown source or bucket simply matches nothing.
 */
export function matchesFilter(row: CatalogRow, f: CatalogFilter): boolean {
  if (f.source !== undefined && row.details?.source !== f.source) return false;
  if (f.bucket !== undefined && row.details?.bucket !== f.bucket) return false;
  const q = f.q?.trim().toLowerCase();
  if (!q) return true;
  const haystack = [row.id, row.name, row.description ?? '', ...(row.details?.columns ?? [])];
  return haystack.some((s) => s.toLowerCase().includes(q));
}

/** The distinct non-empty values of one detail of the readable tables, sorted, for a filter's select box. */
export function optionsOf(rows: readonly CatalogRow[], key: 'source' | 'bucket'): string[] {
  const values = new Set<string>();
  for (const r of rows) {
    const v = r.details?.[key];
    if (v) values.add(v);
  }
  return [...values].sort((a, b) => a.localeCompare(b));
}
