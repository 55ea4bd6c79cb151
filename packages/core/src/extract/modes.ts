// How `ExtractWriter.write()` combines a batch of rows with the table as it is (after dlt's
// write dispositions): the types a connector passes, and their validation.
import { InputError } from '../errors.js';
import { quoteColumnName } from '../identifiers.js';
import type { FileRow } from './schema.js';

export type Granularity = 'day' | 'month' | 'year';

/**
 * Which part a row belongs to. `column` alone: the column's value as text (`region` → `EU`);
 * with `granularity`: the day, month or year of a date or timestamp column (`2024-05-01`,
 * `2024-05`, `2024`; a TIMESTAMPTZ is taken in the connection's TimeZone). `expression`: any
 * SQL over the batch's columns whose value, as text, names the part. A NULL value is the part
 * `__null__`; every other value must match `^[A-Za-z0-9_=-]{1,64}$` or the write fails.
 */
export type PartitionBy = { column: string; granularity?: Granularity; expression?: never } | { expression: string; column?: never; granularity?: never };

interface ModeBase {
  /** Each part is its own Parquet file; only the parts a batch touches are rewritten. */
  partitionBy?: PartitionBy;
}

/**
 * The batch is the whole table. Partitioned: parts the batch holds no rows for disappear, unless
 * `keepUntouched` (then the batch replaces just the parts it holds rows for); a part whose
 * columns and rows (in any order) are what it already holds keeps its file and hashes.
 */
export interface ReplaceMode extends ModeBase {
  mode: 'replace';
  keepUntouched?: boolean;
}

/** The batch's rows are added after the rows the table (or each part it touches) holds. */
export interface AppendMode extends ModeBase {
  mode: 'append';
}

/**
 * Upsert by `primaryKey` (NULL-safe): the batch wins over the table, and within the batch the
 * last row per key wins, in the order its SELECT yields rows (give it an ORDER BY to decide).
 * A row with `_deleted` = true deletes its key (and is never stored; NULL counts as false).
 * A row whose part changed leaves its old part. Files are written ordered by the key, so the
 * same rows always give the same bytes and hashes.
 */
export interface MergeMode extends ModeBase {
  mode: 'merge';
  primaryKey: readonly string[];
  /**
   * Replace rows by group rather than by key (dlt's delete-insert on a merge key): every current
   * row whose `replaceBy` columns match a batch row's, stored or `_deleted`, leaves the table
   * (from every part), then the batch's rows are stored. A parent's children (an issue's
   * comments) are written this way, so a child gone at the source goes here too; a `_deleted`
   * row needs only the `replaceBy` columns and removes its whole group. Within the batch a
   * `_deleted` row also removes the rows of its group that came before it, and the last row per
   * `primaryKey` wins among the rest. A key is expected to stay within its group.
   */
  replaceBy?: readonly string[];
}

export type WriteMode = ReplaceMode | AppendMode | MergeMode;

/** The columns a merge matches the table's rows on: the group (`replaceBy`) when given, else the key. */
export function matchKey(mode: MergeMode): readonly string[] {
  return mode.replaceBy ?? mode.primaryKey;
}

/** The marker column of a merge batch: true deletes the row's key. */
export const DELETED_COLUMN = '_deleted';

export interface WriteResult {
  /** The table's files after the write: one, or one per part. */
  files: FileRow[];
  /** Files this write put in place (new and rewritten parts). */
  written: FileRow[];
  /** Parts that left the table (emptied, or absent from a whole-table replace). */
  removed: string[];
  /** Rows of the table after the write. */
  rows: number;
  /** Rows of the batch as given (duplicates and `_deleted` rows included). */
  batchRows: number;
  /**
   * False when the batch changed nothing (it was empty, or every file came out with the bytes it
   * had): the table, its files and `extracted_at` stay as they were.
   */
  changed: boolean;
}

/** Refuses a mode whose names cannot go into SQL or that means nothing (e.g. keepUntouched without parts). */
export function checkMode(mode: WriteMode): void {
  if (!['replace', 'append', 'merge'].includes(mode.mode)) throw new InputError(`Unknown write mode ${JSON.stringify(mode.mode)}: replace, append or merge`);
  if (mode.mode === 'merge') {
    if (!Array.isArray(mode.primaryKey) || !mode.primaryKey.length) throw new InputError('A merge needs a primaryKey (one or more columns)');
    for (const k of mode.primaryKey) quoteColumnName(k, 'primary key column');
    if (mode.replaceBy !== undefined) {
      if (!Array.isArray(mode.replaceBy) || !mode.replaceBy.length)
        throw new InputError('replaceBy names one or more columns (the group whose rows a batch replaces)');
      for (const k of mode.replaceBy) quoteColumnName(k, 'replaceBy column');
    }
  }
  if (mode.mode === 'replace' && mode.keepUntouched && !mode.partitionBy)
    throw new InputError('keepUntouched needs partitionBy: an unpartitioned table has no parts to keep');
  const by = mode.partitionBy;
  if (!by) return;
  if (typeof by.expression === 'string') {
    if (by.column !== undefined || by.granularity !== undefined)
      throw new InputError('partitionBy takes a column (and granularity) or an expression, not both');
    if (!by.expression.trim()) throw new InputError('partitionBy.expression is empty');
    return;
  }
  quoteColumnName(by.column, 'partition column');
  if (by.granularity !== undefined && !['day', 'month', 'year'].includes(by.granularity)) {
    throw new InputError(`Invalid partition granularity ${JSON.stringify(by.granularity)}: day, month or year`);
  }
}
