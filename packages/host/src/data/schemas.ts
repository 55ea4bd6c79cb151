import { z } from 'zod';
import { isoTimestamp } from '@aida/core';

/**
 * The JSON the data routes answer with, for /api/openapi.json (`RouteOutput.body`). They mirror
 * the registry, sync and catalog rows as they go over the wire; the route tests pin the answers.
 */

export const registryEntrySchema = z.object({
  id: z.string().meta({ description: 'The name trimmed, lower-cased, spaces → `_`' }),
  name: z.string(),
  folder: z.string().nullable(),
  sync_strategy: z.string(),
  primary_key: z.string().nullable(),
  description: z.string().nullable(),
  source_type: z.string().nullable(),
  bucket: z.string().nullable(),
  source_table: z.string().nullable(),
  query_mode: z.string(),
  sync_schedule: z.string().nullable(),
  profile_after_sync: z.boolean(),
  is_public: z.boolean(),
  registered_by: z.string().nullable().meta({ description: '`system` for tables a connector extracted' }),
  registered_at: isoTimestamp.nullable(),
});

export const discoveredSchema = z.object({
  tables: z.array(
    z.looseObject({
      name: z.string(),
      description: z.string().optional(),
      bucket: z.string().optional(),
      source: z.string(),
      source_type: z.string(),
      registered: z.boolean(),
    }),
  ),
  count: z.number().int(),
  errors: z.array(z.object({ source: z.string(), error: z.string() })).meta({ description: 'Sources whose connector could not list its tables' }),
});

export const catalogSchema = z.object({
  tables: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      description: z.string().nullable(),
      source_type: z.string().nullable(),
      sync_strategy: z.string(),
      query_mode: z.string(),
      bucket: z.string().nullable(),
      is_public: z.boolean(),
      rows: z.number().int().nullable(),
      size_bytes: z.number().int().nullable(),
      updated: isoTimestamp.nullable(),
    }),
  ),
  count: z.number().int(),
});

const fileHashes = {
  hash: z.string().meta({ description: 'MD5 hex of the Parquet bytes (of the parts’ hashes for a partitioned table)' }),
  sha256: z.string(),
  size_bytes: z.number().int(),
  rows: z.number().int(),
};

export const manifestSchema = z.object({
  tables: z.record(
    z.string(),
    z.object({
      ...fileHashes,
      updated: isoTimestamp.nullable(),
      source: z.string(),
      parts: z.array(z.object({ part: z.string(), ...fileHashes })).optional(),
    }),
  ),
  assets: z.object({ profiles: z.record(z.string(), z.object({ profiled_at: isoTimestamp })) }),
  server_time: isoTimestamp,
});

export const datasetsSchema = z.object({ datasets: z.record(z.string(), z.boolean()).meta({ description: 'Bucket → whether `da sync` fetches it' }) });

export const subscriptionsSchema = z.object({ table_mode: z.enum(['all', 'explicit']), tables: z.array(z.string()) });

export const syncHistoryRowSchema = z.object({
  id: z.string(),
  table_id: z.string(),
  source: z.string(),
  synced_at: isoTimestamp,
  rows: z.number().int().nullable(),
  duration_ms: z.number().int().nullable(),
  status: z.string(),
  error: z.string().nullable(),
  warnings: z.string().nullable().meta({ description: 'Warnings joined by newlines' }),
});

export const syncStateSchema = z.object({
  tables: z.array(
    z.object({
      table_id: z.string(),
      source: z.string(),
      last_sync: isoTimestamp.nullable(),
      rows: z.number().int().nullable(),
      file_size_bytes: z.number().int().nullable(),
      hash: z.string().nullable(),
      sha256: z.string().nullable(),
      status: z.string(),
      error: z.string().nullable(),
    }),
  ),
});

export const triggerSchema = z.object({
  status: z.literal('triggered'),
  tables: z.union([z.array(z.string()), z.literal('all')]),
  sources: z.array(z.string()),
  message: z.string(),
});

export const uploadedSchema = z.object({ kind: z.enum(['sessions', 'artifacts']), file: z.string(), size_bytes: z.number().int(), stored_at: isoTimestamp });

export const localMdSchema = z.object({ file: z.literal('CLAUDE.local.md'), size_bytes: z.number().int() });

export const queryResultSchema = z.object({
  columns: z.array(z.object({ name: z.string(), type: z.string().meta({ description: 'DuckDB type' }) })),
  rows: z.array(z.array(z.unknown())).meta({ description: 'One array of values per row, in column order' }),
  row_count: z.number().int(),
  truncated: z.boolean().meta({ description: 'More rows exist than `limit` let through' }),
});

export const remoteQueryResultSchema = queryResultSchema.extend({
  columns: z.array(z.object({ name: z.string(), type: z.string().meta({ description: "The source's type name (INT64, STRING…)" }) })),
  bytes_scanned: z.number().meta({ description: 'Bytes the source billed for the query' }),
});

export const hybridQueryResultSchema = queryResultSchema.extend({
  bq_stats: z.object({
    registered_aliases: z.array(z.string()).meta({ description: 'The aliases registered, in order' }),
    alias_count: z.number().int(),
  }),
  bytes_scanned: z.number().meta({ description: 'Bytes the source billed for all the aliases together' }),
});

export const profileSchema = z.looseObject({
  table: z.string(),
  rows: z.number().int(),
  columns: z.array(z.looseObject({ name: z.string(), type: z.string(), kind: z.string(), null_count: z.number(), null_pct: z.number(), distinct_count: z.number() })),
  sampled: z.boolean(),
  profiled_at: isoTimestamp,
  alerts: z.array(z.object({ column: z.string(), type: z.string(), message: z.string(), value: z.unknown() })),
  stale: z.boolean().optional().meta({ description: 'The table changed since this profile was computed' }),
});
