// Copying one BigQuery table into the extract: plan the query (the whole table, or for an
// incremental one the rows above the stored watermark), dry-run it against
// `limits.max_materialize_bytes` (over it: the table fails and no job runs), run it, stage its
// result pages as NDJSON files (several in flight), and write them with the table's write mode:
// replace for full_refresh, merge by primary key for incremental. Any failure is the table's
// error outcome, and its previous files stay; only an abort of the whole sync throws.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { formatBytes, queryRows, sqlString, type ExtractWriter, type PartitionBy, type TableOutcome, type WriteMode } from '@aida/core';
import type { TableField } from './api-types.js';
import type { BigQueryApi, FinishedQuery, QueryParameter } from './client.js';
import { decideTypes, planColumns, stagedSource, typedSelect, type ColumnPlan } from './columns.js';
import { BigQueryMaterializeTooLargeError } from './errors.js';
import { jobLabels } from './labels.js';
import { readAllPages } from './pages.js';
import type { Logger } from './retry.js';
import type { TablePlan } from './select.js';
import { standardType } from './types.js';
import { checkIncrementalColumn, SINCE_PARAMETER, sinceParameter } from './watermark.js';

export interface MaterializeContext {
  api: BigQueryApi;
  writer: ExtractWriter;
  source: string;
  signal: AbortSignal;
  logger: Logger;
  /** A table whose dry run scans more fails; 0: no cap. */
  maxMaterializeBytes: number;
  pageSize: number;
  pagesInFlight: number;
}

/** BigQuery's time-partitioning units as write-mode granularities (an hour's rows go to their day). */
const UNIT_GRANULARITY = { HOUR: 'day', DAY: 'day', MONTH: 'month', YEAR: 'year' } as const;
const TIME_TYPES = new Set(['DATE', 'DATETIME', 'TIMESTAMP']);

export async function materializeTable(plan: TablePlan, ctx: MaterializeContext): Promise<TableOutcome> {
  const started = performance.now();
  const log = ctx.logger.child({ table: plan.name, bigquery_table: plan.id });
  let staging: string | undefined;
  try {
    const fields = plan.table.schema?.fields ?? [];
    if (!fields.length) throw new Error('the table has no columns');
    const columns = planColumns(fields);
    const warnings = columns.flatMap((c) => c.warnings);
    const partitionBy = partitionOf(plan, fields);
    const key = checkedKey(plan, fields);

    // Only an incremental table reads what it stores: a whole export replaces it anyway.
    const previous = plan.strategy === 'incremental' ? await storedState(ctx.writer, plan.name, columns, partitionBy !== undefined) : undefined;
    const incrementalField = fields.find((f) => f.name === plan.incrementalColumn);
    const since =
      previous?.compatible && incrementalField ? await sinceParameter(ctx.writer.connection, previous.paths, incrementalField, plan.overlap) : undefined;
    if (previous?.paths.length && !previous.compatible) log.info(`${plan.id}: the columns changed since the last sync; fetching the whole table`);
    const sql = `SELECT * FROM \`${plan.id}\`${since ? ` WHERE \`${plan.incrementalColumn}\` > @${SINCE_PARAMETER}` : ''}`;
    const parameters: QueryParameter[] = since ? [since] : [];
    const labels = jobLabels({ source: ctx.source, table: plan.name, workload: 'materialize' });
    const call = { signal: ctx.signal, logger: log, labels, parameters };

    const planned = await ctx.api.dryRun(sql, call);
    const bytes = planned.statistics.query?.totalBytesProcessed ?? planned.statistics.totalBytesProcessed ?? 0;
    if (ctx.maxMaterializeBytes > 0 && bytes > ctx.maxMaterializeBytes) {
      throw new BigQueryMaterializeTooLargeError(
        `the query would scan ${formatBytes(bytes)}, more than limits.max_materialize_bytes (${formatBytes(ctx.maxMaterializeBytes)}); no job was run. Raise the limit, make it incremental, or make it a remote table`,
        { detail: { bytes, max_bytes: ctx.maxMaterializeBytes } },
      );
    }
    const t0 = performance.now();
    const query = await ctx.api.query(sql, { ...call, maxResults: ctx.pageSize });
    const resultNames = (query.first.schema?.fields ?? fields).map((f) => f.name);
    if (resultNames.join('\0') !== fields.map((f) => f.name).join('\0'))
      throw new Error('the table changed while it was being read; the next sync reads it again');

    staging = join(ctx.writer.sourceDir, `.staging-bigquery-${randomBytes(6).toString('hex')}`);
    const { files, rows } = await stagePages(query, staging, { ...ctx, logger: log });
    const t1 = performance.now();
    const source = stagedSource(columns, files);

    const merging = since !== undefined;
    const decided = await decideTypes(ctx.writer.connection, columns, source, merging ? previous?.types : undefined);
    warnings.push(...decided.warnings);
    const mode: WriteMode = merging ? { mode: 'merge', primaryKey: key, partitionBy } : { mode: 'replace', partitionBy };
    // A whole export is ordered by its key, as a merge writes its files, so both give the same bytes.
    const select = typedSelect(columns, source, decided.types, merging ? [] : key);
    const written = await ctx.writer.write(plan.name, select, mode, { description: plan.description ?? plan.table.description ?? null });
    for (const w of warnings) log.warn(`${plan.id}: ${w}`);
    log.info(
      {
        rows: written.rows,
        batch_rows: rows,
        bytes_scanned: bytes,
        since: since?.parameterValue.value,
        parts: partitionBy ? written.files.length : undefined,
        query_ms: Math.round(t1 - t0),
        write_ms: Math.round(performance.now() - t1),
      },
      `${plan.id} materialized (${!written.changed ? 'no changes' : merging ? `${written.batchRows} changed rows merged` : 'whole table'})`,
    );
    return { name: plan.name, status: 'ok', rows: written.rows, durationMs: performance.now() - started, ...(warnings.length ? { warnings } : {}) };
  } catch (e) {
    if (ctx.signal.aborted) throw ctx.signal.reason ?? e;
    const message = ctx.api.redact(firstLines((e as Error).message));
    log.warn(`${plan.id}: ${message}; the previous data is kept`);
    return { name: plan.name, status: 'error', error: `BigQuery table ${plan.id}: ${message}`, durationMs: performance.now() - started };
  } finally {
    if (staging) await rm(staging, { recursive: true, force: true });
  }
}

/** The merge key (and the order of a whole export), checked against the table; an incremental table needs one. */
function checkedKey(plan: TablePlan, fields: readonly TableField[]): string[] {
  const key = plan.primaryKey ?? [];
  if (plan.strategy === 'incremental') {
    if (!key.length) throw new Error('incremental sync merges by a primary key: set primary_key (the table declares none)');
    checkIncrementalColumn(
      fields.find((f) => f.name === plan.incrementalColumn),
      plan.incrementalColumn!,
      plan.overlap,
    );
  }
  for (const k of key) if (!fields.some((f) => f.name === k)) throw new Error(`primary key column ${k} is not a column of the table`);
  return key;
}

/** Every result page as an NDJSON file in `dir`, named by its first row so the files sort in row order. */
async function stagePages(query: FinishedQuery, dir: string, ctx: MaterializeContext): Promise<{ files: string[]; rows: number }> {
  await mkdir(dir, { recursive: true });
  const files: { start: number; path: string }[] = [];
  const rows = await readAllPages(
    ctx.api,
    query,
    async (ndjson, count, start) => {
      if (!count) return;
      const path = join(dir, `${String(start).padStart(15, '0')}.ndjson`);
      await writeFile(path, ndjson);
      files.push({ start, path });
    },
    { signal: ctx.signal, logger: ctx.logger, pageSize: ctx.pageSize, inFlight: ctx.pagesInFlight },
  );
  return { files: files.sort((a, b) => a.start - b.start).map((f) => f.path), rows };
}

/** The write mode's parts for a table configured with partition_by (BigQuery's own partitioning column and unit by default). */
function partitionOf(plan: TablePlan, fields: readonly TableField[]): PartitionBy | undefined {
  const config = plan.partitionBy;
  if (!config) return undefined;
  const bq = plan.table.timePartitioning;
  const column = config.column ?? bq?.field;
  if (!column) {
    throw new Error(
      bq
        ? 'the table is partitioned by ingestion time, which SELECT * does not return: set partition_by.column'
        : 'the table is not partitioned in BigQuery: set partition_by.column',
    );
  }
  const field = fields.find((f) => f.name === column);
  if (!field) throw new Error(`partition_by.column ${column} is not a column of the table`);
  const isTime = TIME_TYPES.has(standardType(field.type)) && field.mode !== 'REPEATED';
  const granularity =
    config.granularity ??
    (config.column === undefined || config.column === bq?.field ? UNIT_GRANULARITY[bq?.type as keyof typeof UNIT_GRANULARITY] : undefined) ??
    (isTime ? 'month' : undefined);
  if (granularity && !isTime)
    throw new Error(`partition_by.column ${column} is ${standardType(field.type)}; a granularity needs a DATE, DATETIME or TIMESTAMP column`);
  return granularity ? { column, granularity } : { column };
}

interface StoredState {
  /** Absolute paths of the table's current files. */
  paths: string[];
  /** Same columns and types (and partitioning) as this sync writes: new rows can be merged into it. */
  compatible: boolean;
  /** The stored DuckDB type of each column. */
  types: Map<string, string>;
}

/** What the extract holds for the table now, and whether a batch of this sync's columns can be merged into it. */
async function storedState(writer: ExtractWriter, name: string, columns: readonly ColumnPlan[], partitioned: boolean): Promise<StoredState> {
  const files = writer.previousFiles.filter((f) => f.table_name === name);
  const paths = files.map((f) => resolve(writer.sourceDir, f.path));
  const types = new Map<string, string>();
  if (!files.length || files.some((f) => f.part !== null) !== partitioned) return { paths, compatible: false, types };
  const stored = await queryRows<{ column_name: string; column_type: string }>(
    writer.connection,
    `DESCRIBE SELECT * FROM read_parquet(${sqlString(paths[0])})`,
  );
  const wanted = await queryRows<{ column_name: string; column_type: string }>(
    writer.connection,
    `DESCRIBE ${typedSelect(columns, stagedSource(columns, []))}`,
  );
  for (const s of stored) types.set(s.column_name, s.column_type);
  const compatible =
    stored.length === wanted.length &&
    wanted.every((w, i) => stored[i].column_name === w.column_name && (columns[i].type === undefined || stored[i].column_type === w.column_type));
  return { paths, compatible, types };
}

/** A DuckDB message without the SQL it quotes after a blank line (local paths). */
function firstLines(message: string): string {
  return message
    .split(/\n\s*\n|\nLINE \d+:/)[0]
    .trim()
    .slice(0, 1000);
}
