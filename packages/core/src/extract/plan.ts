// What a write does to a table's files: which parts get new rows (and the SQL of those rows),
// which files stay, which parts leave. The writer then writes and places the files.
import { resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { InputError } from '../errors.js';
import { storedRows, type Batch } from './batch.js';
import { unchangedParts } from './fingerprint.js';
import { appendedRows, mergedRows, stageKeysInFiles } from './merge.js';
import { matchKey, type WriteMode } from './modes.js';
import { EMPTY_PART } from './partitions.js';
import type { FileRow } from './schema.js';

export interface WritePlan {
  /** Parts to write with the SQL of their rows; a part of a partitioned table whose rows come out empty leaves it. */
  write: { part: string | null; selectSql: string }[];
  /** Current files that stay as they are (file, hashes, rows). */
  keep: FileRow[];
  /** Current parts that leave the table without being written. */
  removed: string[];
  /** The table's columns without rows: the empty part of a partitioned table left without any. */
  emptySql: string;
}

/**
 * Plans writing `batch` with `mode` over the table's `current` files (undefined: a new table).
 * `mode` is anything but an unpartitioned replace, which the writer streams without staging.
 */
export async function planWrite(
  conn: DuckDBConnection,
  sourceDir: string,
  mode: WriteMode,
  batch: Batch,
  current: readonly FileRow[] | undefined,
): Promise<WritePlan> {
  const files = current ?? [];
  const path = (f: FileRow) => resolve(sourceDir, f.path);
  const plan: WritePlan = { write: [], keep: [], removed: [], emptySql: '' };
  const rowsOf = (part: string | null, paths: string[]) =>
    mode.mode === 'merge'
      ? mergedRows(batch, part, paths, mode.primaryKey, matchKey(mode), part !== null)
      : mode.mode === 'append'
        ? appendedRows(batch, part, paths)
        : storedRows(batch, part);

  if (!mode.partitionBy) {
    // One file; an earlier partitioned layout is folded into it. An empty batch changes nothing.
    if (current && batch.effective === 0) plan.keep = [...files];
    else {
      plan.write.push({ part: null, selectSql: rowsOf(null, files.map(path)) });
      plan.removed = files.flatMap((f) => (f.part === null ? [] : [f.part]));
    }
    plan.emptySql = `SELECT * FROM (${plan.write[0]?.selectSql ?? storedRows(batch, null)}) LIMIT 0`;
    return plan;
  }

  const wholeTable = mode.mode === 'replace' && !mode.keepUntouched;
  if (!wholeTable && files.some((f) => f.part === null)) {
    throw new InputError(`Table '${files[0].table_name}' is not partitioned: write it once with { mode: 'replace', partitionBy } to partition it`);
  }
  const byPart = new Map<string, FileRow[]>();
  for (const f of files) {
    if (f.part === EMPTY_PART)
      plan.removed.push(EMPTY_PART); // holds no rows: gone once any part has some
    else if (f.part !== null) byPart.set(f.part, [...(byPart.get(f.part) ?? []), f]);
  }
  const touched = new Set(batch.parts);
  if (mode.mode === 'merge') {
    const holding = await stageKeysInFiles(conn, batch, [...byPart.values()].flat().map(path), matchKey(mode));
    for (const [part, fs] of byPart) if (fs.some((f) => holding.has(path(f)))) touched.add(part);
  }
  const same =
    mode.mode === 'replace'
      ? await unchangedParts(conn, batch, new Map([...byPart].filter(([, fs]) => fs.length === 1).map(([part, fs]) => [part, path(fs[0])])))
      : new Set<string>();
  for (const part of [...touched].sort()) {
    if (same.has(part)) plan.keep.push(...byPart.get(part)!);
    else plan.write.push({ part, selectSql: rowsOf(part, (byPart.get(part) ?? []).map(path)) });
  }
  for (const [part, fs] of byPart) {
    if (touched.has(part)) continue;
    if (wholeTable) plan.removed.push(part);
    else plan.keep.push(...fs);
  }
  plan.emptySql = `SELECT * FROM (${plan.write[0]?.selectSql ?? storedRows(batch, null)}) LIMIT 0`;
  return plan;
}
