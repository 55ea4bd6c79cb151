// The plugin's config slice, as config/instance.yaml holds it (see the README): which BigQuery
// project it reads, who pays for the jobs, how it signs in, which tables are copied to Parquet
// (materialized) or queried where they are (remote), and the cost caps on both. Every problem is
// reported at boot, with the others.
import { IDENTIFIER_PATTERN, zByteSize, zDuration, zSecret, zSecretEnv } from '@aida/core';
import { createPrivateKey } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { BigQueryApiOptions } from './client.js';

/** A project id (`acme-analytics`, or domain-scoped `example.com:acme`). */
const PROJECT_PATTERN = /^[a-z][a-z0-9.:-]{2,62}[a-z0-9]$/;
/** `dataset.table` or `project.dataset.table`: datasets are letters, digits and `_`; tables may also hold `-`. */
export const TABLE_ID_PATTERN = /^(?:([a-z][a-z0-9.:-]{2,62}[a-z0-9])\.)?([A-Za-z0-9_]{1,1024})\.([A-Za-z0-9_-]{1,1024})$/;
/** `dataset` or `project.dataset`. */
export const DATASET_ID_PATTERN = /^(?:([a-z][a-z0-9.:-]{2,62}[a-z0-9])\.)?([A-Za-z0-9_]{1,1024})$/;
/** BigQuery column names: letters, digits and `_`, not starting with a digit. */
const COLUMN_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,299}$/;
/** Globs over `dataset.table`: the id characters plus `*` and `?`. */
const GLOB_PATTERN = /^[A-Za-z0-9_.:*?-]+$/;

const httpUrl = (what: string) =>
  z.string().refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password && !u.hash;
    } catch {
      return false;
    }
  }, `${what} must be an absolute http(s) URL without credentials or #fragment`);

const identifier = z.string().regex(IDENTIFIER_PATTERN, 'must be a valid identifier (letters, digits, _; not starting with a digit; at most 64)');
const column = z.string().regex(COLUMN_PATTERN, 'must be a BigQuery column name (letters, digits, _; not starting with a digit)');
const mode = z.enum(['materialized', 'remote']);

function isPrivateKey(pem: string): boolean {
  try {
    createPrivateKey(pem.replace(/\\n/g, '\n'));
    return true;
  } catch {
    return false;
  }
}

/** The parts of a service-account key JSON the JWT grant needs; the private key is a declared secret (masked in logs). */
const serviceAccountKeySchema = z.object({
  type: z.literal('service_account', { error: 'must be a service-account key (its "type" is "service_account")' }).optional(),
  client_email: z.email({ error: 'the key has no valid client_email' }),
  private_key: zSecret().refine(isPrivateKey, 'the key has no PEM private_key that can sign'),
  private_key_id: z.string().optional(),
  project_id: z.string().optional(),
  token_uri: z.string().optional(),
});
export type ServiceAccountKey = z.output<typeof serviceAccountKeySchema>;

/** The variable's value, read by zSecretEnv and masked by the host; then parsed as a key. */
const serviceAccountEnv = zSecretEnv({ example: 'GCP_SA_JSON', holds: 'a service-account key as JSON' })
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'the variable does not hold JSON: paste the whole service-account key file into it' });
      return z.NEVER;
    }
  })
  .pipe(serviceAccountKeySchema);

const credentialsSchema = z
  .strictObject({
    /** The variable holding the service-account key JSON (JWT grant). */
    service_account_env: serviceAccountEnv.optional(),
    /** The variable holding an OAuth access token issued elsewhere (workload identity, gcloud). */
    access_token_env: zSecretEnv({ example: 'GCP_ACCESS_TOKEN', holds: 'an OAuth access token for BigQuery' }).optional(),
    /** Application default credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud, the metadata server). */
    adc: z.literal(true, { error: 'adc takes true' }).optional(),
  })
  .superRefine((c, ctx) => {
    const given = [c.service_account_env, c.access_token_env, c.adc].filter((v) => v !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `give exactly one of service_account_env, access_token_env or adc: true (${given === 0 ? 'none is' : `${given} are`} set)`,
      });
    }
  })
  .transform((c): Credentials => {
    if (c.service_account_env) return { kind: 'service_account', key: c.service_account_env };
    if (c.access_token_env) return { kind: 'access_token', token: c.access_token_env };
    return { kind: 'adc' };
  });

export type Credentials = { kind: 'service_account'; key: ServiceAccountKey } | { kind: 'access_token'; token: string } | { kind: 'adc' };

/**
 * How far before the stored watermark an incremental sync starts again: a duration (`2h`) for
 * date and time columns, or a count (`100`) for integer columns. Rows in the overlap are
 * merged again by primary key, so late-arriving changes are not missed.
 */
const overlapSchema = z.union([
  z
    .number()
    .int()
    .min(0)
    .transform((count) => ({ kind: 'count' as const, count })),
  zDuration().transform((ms) => ({ kind: 'duration' as const, ms })),
]);
export type Overlap = z.output<typeof overlapSchema>;

const granularity = z.enum(['day', 'month', 'year']);

const tableSchema = z
  .strictObject({
    /** `dataset.table` (in `project`) or `project.dataset.table`. */
    id: z.string().regex(TABLE_ID_PATTERN, 'must be a BigQuery table id such as sales.orders or acme-analytics.sales.orders'),
    /** Table name in AIDA; defaults to the table part of the id, lower-cased. */
    name: identifier.optional(),
    description: z.string().optional(),
    mode: mode.default('materialized'),
    strategy: z.enum(['full_refresh', 'incremental']).default('full_refresh'),
    /** Incremental: rows with this column above the stored maximum (less `overlap`) are fetched again. */
    incremental_column: column.optional(),
    /** Merge key of an incremental table; defaults to the table's BigQuery primary key constraint. */
    primary_key: z.array(column).min(1).optional(),
    overlap: overlapSchema.optional(),
    /** A Parquet file per day, month or year of a date or timestamp column (default: BigQuery's own partitioning column and unit). */
    partition_by: z.strictObject({ column: column.optional(), granularity: granularity.optional() }).optional(),
  })
  .superRefine((t, ctx) => {
    if (t.strategy === 'incremental' && !t.incremental_column) {
      ctx.addIssue({ code: 'custom', path: ['incremental_column'], message: 'the incremental strategy needs incremental_column (e.g. updated_at)' });
    }
    if (t.strategy !== 'incremental') {
      for (const key of ['incremental_column', 'overlap'] as const) {
        if (t[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `${key} is only used with strategy: incremental` });
      }
    }
    if (t.mode === 'remote') {
      for (const key of ['partition_by', 'primary_key'] as const) {
        if (t[key] !== undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: `${key} is only used by materialized tables; a remote table stays in BigQuery` });
      }
      if (t.strategy !== 'full_refresh') ctx.addIssue({ code: 'custom', path: ['strategy'], message: 'a remote table is not synced: leave out strategy' });
    }
  });

const datasetSchema = z.strictObject({
  /** `dataset` (in `project`) or `project.dataset`: every table and view in it. */
  id: z.string().regex(DATASET_ID_PATTERN, 'must be a BigQuery dataset id such as marketing or acme-analytics.marketing'),
  mode: mode.default('materialized'),
  /** Globs over `dataset.table` to leave out, e.g. `marketing.tmp_*`. */
  exclude: z.array(z.string().regex(GLOB_PATTERN, 'must be a glob over dataset.table, e.g. marketing.tmp_*')).default([]),
});

export const bigQueryConfigSchema = z
  .strictObject({
    /** Source name: the folder under extracts/ and the catalog's source. */
    source: identifier.default('bigquery'),
    /** The data project: tables without a project in their id live here. */
    project: z.string().regex(PROJECT_PATTERN, 'must be a Google Cloud project id such as acme-analytics'),
    /** Where jobs run and are billed (default: project); set it when the credentials may not create jobs in project (USER_PROJECT_DENIED). */
    billing_project: z.string().regex(PROJECT_PATTERN, 'must be a Google Cloud project id such as acme-billing').optional(),
    /** Location of the datasets and jobs (EU, US, europe-west1…). */
    location: z.string().min(1).optional(),
    credentials: credentialsSchema,
    /** BigQuery's REST root for tests and emulators (default https://bigquery.googleapis.com). */
    api_endpoint: httpUrl('api_endpoint')
      .transform((v) => v.replace(/\/+$/, ''))
      .optional(),
    /** Where the service-account JWT grant goes (default: the key's token_uri, else https://oauth2.googleapis.com/token). */
    token_url: httpUrl('token_url').optional(),
    tables: z.array(tableSchema).default([]),
    datasets: z.array(datasetSchema).default([]),
    limits: z
      .strictObject({
        /** One remote query may scan at most this much (from its dry run). */
        max_scan_bytes: zByteSize().prefault('5GiB'),
        /** A materialized table whose query would scan more fails before any job runs; 0 disables. */
        max_materialize_bytes: zByteSize().prefault('10GiB'),
        /** What one user's remote queries may scan per UTC day. */
        user_daily_bytes: zByteSize().prefault('50GB'),
        /** Remote queries one user may run at once. */
        user_concurrent: z.number().int().min(1).max(100).default(5),
      })
      .prefault({}),
    retries: z
      .strictObject({
        /** Retries after the first attempt, for rateLimitExceeded/quotaExceeded, 5xx and network errors. */
        max: z.number().int().min(0).max(20).default(5),
        base_delay: zDuration().prefault('500ms'),
        max_delay: zDuration().prefault('30s'),
        /** A `Retry-After` longer than this fails the call instead of waiting. */
        max_retry_after: zDuration().prefault('5m'),
      })
      .prefault({}),
    timeouts: z
      .strictObject({
        /** One REST call. */
        request: zDuration({ min: '1s' }).prefault('2m'),
        /** A query job, from insert until its results are ready. */
        job: zDuration({ min: '1s' }).prefault('1h'),
      })
      .prefault({}),
    /** Rows asked for per result page (BigQuery also caps a page at about 10 MB). */
    page_size: z.number().int().min(1).max(100_000).default(20_000),
    /** Result pages fetched at once while materializing. */
    pages_in_flight: z.number().int().min(1).max(32).default(4),
  })
  .superRefine((c, ctx) => {
    if (!c.tables.length && !c.datasets.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['tables'],
        message: 'list the BigQuery tables (tables: [{ id: sales.orders }]) or datasets (datasets: [{ id: marketing }])',
      });
    }
    const names = new Map<string, number>();
    c.tables.forEach((t, i) => {
      const name = t.name ?? defaultTableName(t.id);
      const seen = names.get(name);
      if (seen !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['tables', i, 'name'], message: `table name ${name} is already used by tables[${seen}]; set a different name` });
      } else names.set(name, i);
    });
  });

export type BigQueryConfig = z.output<typeof bigQueryConfigSchema>;
export type BigQueryConfigInput = z.input<typeof bigQueryConfigSchema>;
export type TableConfig = BigQueryConfig['tables'][number];
export type DatasetConfig = BigQueryConfig['datasets'][number];
export type TableMode = z.output<typeof mode>;

/** The AIDA name of a BigQuery table when the config gives none: its table part, lower-cased, made an identifier. */
export function defaultTableName(tableId: string): string {
  const last = tableId.slice(tableId.lastIndexOf('.') + 1).toLowerCase();
  let name = last.replace(/[^a-z0-9_]/g, '_');
  if (!/^[a-z_]/.test(name)) name = `_${name}`;
  return name.slice(0, 64);
}

/** A table reference with its project filled in. */
export interface TableRef {
  projectId: string;
  datasetId: string;
  tableId: string;
}

export function parseTableId(id: string, defaultProject: string): TableRef {
  const m = TABLE_ID_PATTERN.exec(id);
  if (!m) throw new Error(`not a BigQuery table id: ${id}`);
  return { projectId: m[1] ?? defaultProject, datasetId: m[2], tableId: m[3] };
}

export function parseDatasetId(id: string, defaultProject: string): { projectId: string; datasetId: string } {
  const m = DATASET_ID_PATTERN.exec(id);
  if (!m) throw new Error(`not a BigQuery dataset id: ${id}`);
  return { projectId: m[1] ?? defaultProject, datasetId: m[2] };
}

/** `project.dataset.table`, as BigQuery names a table in SQL and statistics. */
export function fullTableId(ref: TableRef): string {
  return `${ref.projectId}.${ref.datasetId}.${ref.tableId}`;
}

/** The client settings an instance config gives. */
export function apiOptionsFrom(config: BigQueryConfig, logger?: Logger): BigQueryApiOptions {
  return {
    billingProject: config.billing_project ?? config.project,
    location: config.location,
    apiEndpoint: config.api_endpoint,
    credentials: config.credentials,
    tokenUrl: config.token_url,
    retries: {
      max: config.retries.max,
      baseDelay: config.retries.base_delay,
      maxDelay: config.retries.max_delay,
      maxRetryAfter: config.retries.max_retry_after,
    },
    requestTimeoutMs: config.timeouts.request,
    jobTimeoutMs: config.timeouts.job,
    logger,
  };
}
