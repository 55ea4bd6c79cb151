// Turning the source's tables into the extract contract. Each table is fetched into one
// newline-delimited JSON file in a staging folder, then written with a write mode of the
// ExtractWriter:
//   - an incremental table (the source says `incremental: true`, it has a primary key and an
//     `updated_at` column) is fetched whole the first time and replaced, partitioned by the
//     month of `updated_at`; later syncs ask only for the rows updated since the last one and
//     merge them by primary key, so only the months those rows fall in are rewritten;
//   - any other table (a small lookup table) is fetched whole and replaced, as one file.
// The host commits the writer when `extractTables` resolves and discards it when it throws.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  COLUMN_NAME_PATTERN,
  isValidIdentifier,
  quoteColumnName,
  sqlString,
  type DiscoveredTable,
  type ExtractReport,
  type ExtractRequest,
  type ExtractWriter,
  type TableOutcome,
  type WriteMode,
} from '@aida/core';
import type { Logger, SourceClient, SourceRow, SourceTable } from './client.js';
import type { TemplateConfig } from './config.js';

/** The API's column types as DuckDB types. Timestamps keep their offset; their month parts are UTC months. */
const DUCKDB_TYPES: ReadonlyMap<string, string> = new Map([
  ['integer', 'BIGINT'],
  ['number', 'DOUBLE'],
  ['string', 'VARCHAR'],
  ['boolean', 'BOOLEAN'],
  ['date', 'DATE'],
  ['timestamp', 'TIMESTAMPTZ'],
]);

/** The column incremental tables are fetched by (`updated_since`) and partitioned on. */
export const UPDATED_AT = 'updated_at';

/** The tables of the source, with their columns as DuckDB types. */
export async function discoverTables(client: SourceClient, signal: AbortSignal): Promise<DiscoveredTable[]> {
  return (await client.listTables(signal)).map((t) => ({
    name: t.name,
    description: t.description,
    sourceTable: t.name,
    columns: t.columns.map((c) => ({ name: c.name, type: DUCKDB_TYPES.get(c.type) ?? c.type })),
    primaryKey: t.primary_key.length ? t.primary_key : undefined,
  }));
}

/**
 * Syncs the source's tables (or the requested ones). A source that cannot be listed throws, so
 * the previous extract stays as it was; a table that fails is reported and the others go on.
 */
export async function extractTables(client: SourceClient, config: TemplateConfig, { tables, writer, signal, logger }: ExtractRequest): Promise<ExtractReport> {
  const listed = await client.listTables(signal);
  const wanted = tables && new Set(tables.map((t) => t.toLowerCase()));
  // TIMESTAMPTZ values are parted by month in the connection's time zone: make that UTC, not the machine's.
  await writer.connection.run(`SET TimeZone = 'UTC'`);
  const outcomes: TableOutcome[] = [];
  // One table at a time: writes share `writer.connection`, and the source is spared parallel scans.
  for (const table of listed) {
    if (wanted && !wanted.has(table.name.toLowerCase())) continue;
    signal.throwIfAborted();
    if (!isValidIdentifier(table.name)) {
      const why = `${JSON.stringify(table.name)} cannot be an AIDA table name (letters, digits and _, not starting with a digit, at most 64); rename it at the source`;
      logger.warn(`skipped table ${why}`);
      outcomes.push({ name: table.name, status: 'skipped', error: why });
      continue;
    }
    outcomes.push(await extractTable(client, config, table, writer, signal, logger));
  }
  // A table the source no longer lists leaves the extract — on a sync of everything only, since a
  // sync of some tables says nothing about the others.
  if (!wanted) {
    const present = new Set(listed.map((t) => t.name.toLowerCase()));
    for (const t of writer.previousTables) if (!present.has(t.table_name.toLowerCase())) writer.dropTable(t.table_name);
  }
  return { tables: outcomes };
}

/** Fetches and writes one table; any failure becomes its error outcome, and its previous data stays. */
async function extractTable(
  client: SourceClient,
  config: TemplateConfig,
  table: SourceTable,
  writer: ExtractWriter,
  signal: AbortSignal,
  logger: Logger,
): Promise<TableOutcome> {
  const started = performance.now();
  // Under the source folder, named `.staging-*`: the writer clears such leftovers after a crash.
  const staging = join(writer.sourceDir, `.staging-template-${randomBytes(6).toString('hex')}`);
  const file = join(staging, 'rows.ndjson');
  try {
    checkTable(table);
    const since = table.incremental ? updatedSince(writer, table.name, config.incremental_overlap) : undefined;
    await mkdir(staging, { recursive: true });
    const fetched = await saveRows(client.rows(table.name, since, signal), table, file);
    const mode = writeMode(table, since !== undefined);
    const result = await writer.write(table.name, selectRows(table, file, mode), mode, { description: table.description });
    logger.info(
      {
        table: table.name,
        mode: mode.mode,
        updated_since: since?.toISOString(),
        fetched,
        rows: result.rows,
        parts_written: result.written.length,
        changed: result.changed,
      },
      `table ${table.name}: ${fetched} rows fetched, ${result.rows} rows after the ${mode.mode}`,
    );
    return { name: table.name, status: 'ok', rows: result.rows, durationMs: performance.now() - started };
  } catch (e) {
    if (signal.aborted) throw signal.reason ?? e;
    // DuckDB names the staging file and appends hints on further lines: keep the statement of the problem.
    const message = client.redact((e as Error).message.split('\n')[0].replaceAll(file, `the rows of ${table.name}`));
    logger.warn(`table ${table.name}: ${message}; its previous data is kept`);
    return { name: table.name, status: 'error', error: `table ${table.name}: ${message}`, durationMs: performance.now() - started };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Checks what the listing says about a table before any of it reaches SQL; throws a message naming the problem. */
function checkTable(table: SourceTable): void {
  const names = new Set<string>();
  for (const c of table.columns) {
    if (!COLUMN_NAME_PATTERN.test(c.name)) {
      throw new Error(`column ${JSON.stringify(c.name)} is not a column name this connector accepts (letters, digits, _)`);
    }
    if (!DUCKDB_TYPES.has(c.type)) {
      throw new Error(`column ${c.name} has type ${JSON.stringify(c.type)}; this connector reads ${[...DUCKDB_TYPES.keys()].join(', ')}`);
    }
    names.add(c.name);
  }
  if (!names.size) throw new Error('the source lists no columns for it');
  for (const k of table.primary_key) if (!names.has(k)) throw new Error(`primary key column ${k} is not among its columns`);
  if (table.incremental) {
    if (!table.primary_key.length) throw new Error('an incremental table needs a primary key to merge changed rows by');
    const updated = table.columns.find((c) => c.name === UPDATED_AT);
    if (updated?.type !== 'timestamp' && updated?.type !== 'date') {
      throw new Error(`an incremental table needs an ${UPDATED_AT} column of type timestamp or date`);
    }
  }
}

/**
 * When an incremental fetch starts: the table's last write minus the overlap. Undefined (fetch
 * everything) on the first sync, or when the table is not yet partitioned as a merge needs it
 * (e.g. it was a lookup table before): the whole table is then replaced once.
 */
function updatedSince(writer: ExtractWriter, table: string, overlapMs: number): Date | undefined {
  const files = writer.previousFiles.filter((f) => f.table_name === table);
  if (!files.length || files.some((f) => f.part === null)) return undefined;
  const meta = writer.previousTables.find((t) => t.table_name === table);
  return meta ? new Date(meta.extracted_at.getTime() - overlapMs) : undefined;
}

/** Writes the pages to `path` as newline-delimited JSON holding only the listed columns; returns the row count. */
async function saveRows(pages: AsyncIterable<SourceRow[]>, table: SourceTable, path: string): Promise<number> {
  const out = await open(path, 'w');
  let rows = 0;
  try {
    for await (const page of pages) {
      // Only the listed columns, each present: a field the listing does not declare never becomes a column.
      const lines = page.map((row) => JSON.stringify(Object.fromEntries(table.columns.map((c) => [c.name, row[c.name] ?? null]))));
      if (lines.length) await out.write(`${lines.join('\n')}\n`);
      rows += page.length;
    }
  } finally {
    await out.close();
  }
  return rows;
}

/** `merging`: the rows are those updated since the last sync, to merge into the parts it wrote. */
function writeMode(table: SourceTable, merging: boolean): WriteMode {
  if (!table.incremental) return { mode: 'replace' };
  const partitionBy = { column: UPDATED_AT, granularity: 'month' } as const;
  return merging ? { mode: 'merge', primaryKey: table.primary_key, partitionBy } : { mode: 'replace', partitionBy };
}

/** The batch: the saved rows, typed by the listing (a value that does not fit its type fails the table). */
function selectRows(table: SourceTable, file: string, mode: WriteMode): string {
  const columns = table.columns.map((c) => `${sqlString(c.name)}: ${sqlString(DUCKDB_TYPES.get(c.type)!)}`).join(', ');
  const read = `SELECT * FROM read_json(${sqlString(file)}, format = 'newline_delimited', columns = {${columns}})`;
  // A merge writes its files in key order; a whole table written in that order too gives the same
  // bytes either way, so a re-sync of unchanged rows keeps every file and hash. (Within a merge
  // batch the last row per key wins, in the order the pages came.)
  const key = table.primary_key.map((k) => quoteColumnName(k)).join(', ');
  return mode.mode === 'replace' && key ? `${read} ORDER BY ${key}` : read;
}
