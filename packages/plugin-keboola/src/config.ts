import { IDENTIFIER_PATTERN, zDuration, zSecretEnv } from '@aida/core';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { KeboolaClientOptions } from './client-types.js';

/** `<stage>.<bucket>.<table>`, e.g. `in.c-sales.orders`. */
export const TABLE_ID_PATTERN = /^(in|out|sys)\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** A bucket id (`in.c-sales`) or a glob over bucket ids (`in.*`, `out.c-crm-*`). */
const BUCKET_FILTER_PATTERN = /^[A-Za-z0-9_.*-]+$/;
/** Keboola column names are letters, digits and underscores; anything else is refused before it nears SQL. */
export const COLUMN_PATTERN = /^[A-Za-z0-9_]{1,255}$/;
/** Types an admin may force a column to (`column_types`); DECIMAL(p,s) is allowed too. */
const FORCED_TYPE = /^(VARCHAR|BIGINT|DOUBLE|BOOLEAN|DATE|TIMESTAMP|DECIMAL\((\d{1,2}),\s*(\d{1,2})\))$/;

/** A duration (`500ms`, `30s`, `5m`, `2h`, `1d`) or milliseconds, as milliseconds. */
const duration = zDuration();

const httpUrl = (what: string) =>
  z.string().refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password && !u.search && !u.hash;
    } catch {
      return false;
    }
  }, `${what} must be an absolute http(s) URL without credentials, ?query or #fragment`);

const identifier = z.string().regex(IDENTIFIER_PATTERN, 'must be a valid identifier (letters, digits, _; not starting with a digit; at most 64)');
const column = z.string().regex(COLUMN_PATTERN, 'must be a Keboola column name (letters, digits, _)');
const strategy = z.enum(['full_refresh', 'incremental', 'partitioned']);

const tableSchema = z
  .strictObject({
    /** Keboola table id, `<stage>.<bucket>.<table>`. */
    id: z.string().regex(TABLE_ID_PATTERN, 'must be a Keboola table id such as in.c-sales.orders'),
    /** Table name in AIDA; defaults to the Keboola table name. */
    name: identifier.optional(),
    description: z.string().optional(),
    strategy: strategy.default('full_refresh'),
    /** Merge key for `incremental` and `partitioned`; defaults to the table's Keboola primary key. */
    primary_key: z.array(column).min(1).optional(),
    /** Date or timestamp column whose day, month or year names the partition. */
    partition_by: z.strictObject({ column, granularity: z.enum(['day', 'month', 'year']).default('month') }).optional(),
    /** How far before the last successful sync `changedSince` starts (default: the top-level `incremental_overlap`). */
    incremental_overlap: duration.optional(),
    /** Export only these columns (in this order). */
    columns: z.array(column).min(1).optional(),
    /** Keboola's export filter: `whereColumn`, `whereValues`, `whereOperator`. */
    where: z.strictObject({ column, values: z.array(z.string()).min(1), operator: z.enum(['eq', 'ne']).default('eq') }).optional(),
    /** Forces column types, e.g. `{ legacy_amount: VARCHAR }` when Keboola metadata is wrong. */
    column_types: z
      .record(column, z.string().toUpperCase().regex(FORCED_TYPE, 'must be VARCHAR, BIGINT, DOUBLE, BOOLEAN, DATE, TIMESTAMP or DECIMAL(p,s)'))
      .optional(),
  })
  .superRefine((t, ctx) => {
    if (t.strategy === 'partitioned' && !t.partition_by) {
      ctx.addIssue({ code: 'custom', path: ['partition_by'], message: 'the partitioned strategy needs partition_by: { column, granularity }' });
    }
    if (t.strategy !== 'partitioned' && t.partition_by) {
      ctx.addIssue({ code: 'custom', path: ['partition_by'], message: 'partition_by is only used with strategy: partitioned' });
    }
    if (t.columns) {
      const cols = new Set(t.columns);
      for (const k of t.primary_key ?? [])
        if (!cols.has(k)) ctx.addIssue({ code: 'custom', path: ['primary_key'], message: `primary key column ${k} is not in columns` });
      if (t.partition_by && !cols.has(t.partition_by.column))
        ctx.addIssue({ code: 'custom', path: ['partition_by', 'column'], message: `partition column ${t.partition_by.column} is not in columns` });
    }
  });

const bucketSchema = z.strictObject({
  /** Bucket id or glob: `in.c-sales`, `out.*`. */
  id: z.string().regex(BUCKET_FILTER_PATTERN, 'must be a bucket id such as in.c-sales, or a glob such as in.*'),
  strategy: z.enum(['full_refresh', 'incremental']).default('full_refresh'),
  incremental_overlap: duration.optional(),
  /** Table ids of these buckets to leave out. */
  exclude: z.array(z.string()).default([]),
});

export const keboolaConfigSchema = z
  .strictObject({
    /** Source name: the folder under extracts/ and the catalog's source. */
    source: identifier.default('keboola'),
    /** Stack URL, e.g. https://connection.keboola.com or https://connection.north-europe.azure.keboola.com. */
    url: httpUrl('url').transform((v) => v.replace(/\/+$/, '')),
    /**
     * In the YAML, the name of the environment variable holding the Storage API token (never the
     * token itself); once validated, the token, which the host masks in every log line and error.
     */
    token_env: zSecretEnv({ example: 'KBC_TOKEN', holds: 'the Keboola Storage API token' }),
    /** Tables to sync, each with its strategy. */
    tables: z.array(tableSchema).default([]),
    /** Every table of these buckets, synced whole or incrementally. */
    buckets: z.array(bucketSchema).default([]),
    /** Default overlap for incremental syncs: `changedSince` = last successful sync minus this. */
    incremental_overlap: duration.prefault('1h'),
    timeouts: z
      .strictObject({
        /** One API request (headers and body). */
        request: duration.prefault('30s'),
        /** A download that receives no bytes for this long is aborted (and retried). */
        idle: duration.prefault('60s'),
        /** One file or slice download, start to end. */
        download: duration.prefault('1h'),
        /** An export job, from POST export-async until it succeeds or fails. */
        export: duration.prefault('2h'),
        /** First and longest pause between polls of an export job. */
        poll_initial: duration.prefault('250ms'),
        poll_max: duration.prefault('5s'),
      })
      .prefault({}),
    retries: z
      .strictObject({
        /** Retries after the first attempt, for 429, 5xx, timeouts and network errors. */
        max: z.number().int().min(0).max(20).default(5),
        base_delay: duration.prefault('500ms'),
        max_delay: duration.prefault('30s'),
        /** A `Retry-After` longer than this fails the request instead of waiting. */
        max_retry_after: duration.prefault('5m'),
      })
      .prefault({}),
    /** Slices of one sliced export downloaded at once. */
    max_parallel_slices: z.number().int().min(1).max(64).default(8),
    /** Tables exported and downloaded at once (writing Parquet is one table at a time). */
    max_parallel_tables: z.number().int().min(1).max(16).default(2),
    /** S3-compatible endpoint for sliced files on AWS stacks (tests, MinIO); path-style addressing is used. */
    s3_endpoint: httpUrl('s3_endpoint').optional(),
    /** Google Cloud Storage JSON API endpoint for sliced files on GCP stacks (tests). */
    gcs_endpoint: httpUrl('gcs_endpoint').optional(),
  })
  .superRefine((c, ctx) => {
    if (!c.tables.length && !c.buckets.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['tables'],
        message: 'list the Keboola tables to sync (tables: [{ id: in.c-sales.orders }]) or buckets: [{ id: in.c-sales }]',
      });
    }
    const names = new Map<string, number>();
    c.tables.forEach((t, i) => {
      const name = (t.name ?? defaultTableName(t.id)).toLowerCase();
      if (names.has(name))
        ctx.addIssue({
          code: 'custom',
          path: ['tables', i, 'name'],
          message: `table name ${name} is already used by tables[${names.get(name)}]; set a different name`,
        });
      else names.set(name, i);
    });
    if (c.timeouts.poll_max < c.timeouts.poll_initial) {
      ctx.addIssue({ code: 'custom', path: ['timeouts', 'poll_max'], message: 'poll_max must not be shorter than poll_initial' });
    }
  });

export type KeboolaConfig = z.output<typeof keboolaConfigSchema>;
export type TableConfig = KeboolaConfig['tables'][number];
export type BucketConfig = KeboolaConfig['buckets'][number];
export type Strategy = z.output<typeof strategy>;

/** The AIDA name of a Keboola table when the config gives none: its name part, made an identifier. */
export function defaultTableName(tableId: string): string {
  const last = tableId.slice(tableId.lastIndexOf('.') + 1);
  let name = last.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(name)) name = `_${name}`;
  return name.slice(0, 64);
}

/** The client settings an instance config gives; `token` is the config's `token_env` (tests pass their own). */
export function clientOptionsFrom(config: KeboolaConfig, token: string, logger?: Logger): KeboolaClientOptions {
  return {
    url: config.url,
    token,
    timeouts: config.timeouts,
    retries: config.retries,
    maxParallelSlices: config.max_parallel_slices,
    s3Endpoint: config.s3_endpoint,
    gcsEndpoint: config.gcs_endpoint,
    logger,
  };
}
