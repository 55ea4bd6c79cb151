// Keboola's sync strategies as write modes of the ExtractWriter: full refresh → replace;
// incremental → merge by primary key; partitioned → merge into the parts (with a key and a
// previous version to merge into) or replace by parts, where a part whose rows did not change
// keeps its file. Also what the previous extract of the table holds, which decides whether the
// export may hold only changed rows.
import { resolve } from 'node:path';
import { queryRows, sqlString, type ExtractWriter, type FileRow, type WriteMode, type WriteResult } from '@aida/core';
import { typedSelect, type CsvSource } from './csv-source.js';
import type { TablePlan } from './select.js';
import { quoteColumn, type ColumnPlan } from './types.js';

export interface PreviousState {
  /** Files of the previous version of this table (one file, or one per part). */
  files: FileRow[];
  extractedAt?: Date;
  rows: number;
  /** Same column names and types as this sync would write, so new rows can be merged into it. */
  compatible: boolean;
  partitioned: boolean;
}

export async function previousState(plan: TablePlan, columns: ColumnPlan[], writer: ExtractWriter): Promise<PreviousState> {
  const files = writer.previousFiles.filter((f) => f.table_name === plan.name);
  const meta = writer.previousTables.find((t) => t.table_name === plan.name);
  const partitioned = files.some((f) => f.part !== null);
  const wantParts = plan.strategy === 'partitioned';
  let compatible = files.length > 0 && partitioned === wantParts && (wantParts || files.length === 1);
  if (compatible) {
    const described = await queryRows<{ column_name: string; column_type: string }>(
      writer.connection,
      `DESCRIBE SELECT * FROM read_parquet(${sqlString(resolve(writer.sourceDir, files[0].path))})`,
    );
    compatible =
      described.length === columns.length &&
      described.every((d, i) => d.column_name === columns[i].name && d.column_type.replace(/\s/g, '') === columns[i].type);
  }
  return { files, extractedAt: meta?.extracted_at ? new Date(meta.extracted_at) : undefined, rows: meta?.rows ?? 0, compatible, partitioned };
}

/**
 * The mode of a table's strategy. `merging`: the export holds only the rows changed since a
 * compatible previous version, so they are merged into it; otherwise it holds the whole table.
 */
export function writeMode(plan: TablePlan, merging: boolean): WriteMode {
  if (plan.strategy === 'full_refresh') return { mode: 'replace' };
  const partitionBy = plan.partition && { column: plan.partition.column, granularity: plan.partition.granularity };
  return merging ? { mode: 'merge', primaryKey: plan.primaryKey, partitionBy } : { mode: 'replace', partitionBy };
}

/**
 * Exported rows, one per key. Keboola keeps its own primary key unique, so only a key the config
 * chose can repeat; then a deterministic pick (highest values) keeps re-syncs byte-identical.
 * A whole export with a key is ordered by it, as a merge writes its files, so both give the same bytes.
 */
function exportedRows(plan: TablePlan, columns: ColumnPlan[], source: CsvSource, mode: WriteMode): string {
  const base = typedSelect(columns, source);
  if (plan.strategy === 'full_refresh' || !plan.primaryKey.length) return base;
  const key = plan.primaryKey.map(quoteColumn).join(', ');
  const unique = plan.keyIsKeboolas
    ? base
    : `SELECT * FROM (${base}) QUALIFY row_number() OVER (PARTITION BY ${key} ORDER BY ${columns.map((c) => `${quoteColumn(c.name)} DESC NULLS LAST`).join(', ')}) = 1`;
  return mode.mode === 'merge' ? unique : `SELECT * FROM (${unique}) ORDER BY ${key}`;
}

export interface Written {
  rows: number;
  parts?: number;
  note: string;
}

/**
 * Writes the table with its strategy. `copied` runs once the writer has read all of `source`
 * (its rows are in the new file or the staged batch), before it hashes and places the file.
 */
export async function writeStrategy(
  plan: TablePlan,
  columns: ColumnPlan[],
  source: CsvSource,
  merging: boolean,
  writer: ExtractWriter,
  copied?: () => void,
): Promise<Written> {
  const mode = writeMode(plan, merging);
  // `verify` is the writer's hook between the copy and the rest of the write, in every mode.
  const verify = copied && (async () => copied());
  const r = await writer.write(plan.name, exportedRows(plan, columns, source, mode), mode, { description: plan.description, verify });
  return { rows: r.rows, ...(mode.partitionBy ? { parts: r.written.length } : {}), note: note(mode, r) };
}

function note(mode: WriteMode, r: WriteResult): string {
  if (!r.changed) return 'no changes';
  const parts = mode.partitionBy ? `: ${r.written.length} part(s) written${r.removed.length ? `, ${r.removed.join(', ')} removed` : ''}` : '';
  return `${mode.mode === 'merge' ? `${r.batchRows} changed rows merged` : 'full export'}${parts}`;
}
