// A batch of rows for `ExtractWriter.write()`, staged once in a temp table: the modes read it
// several times (which parts it touches, whether a part changed, the new rows of each part).
// Staging names each row's part, turns `_deleted` into a flag, and keeps one row per key.
import { randomBytes } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from '../duckdb.js';
import { InputError } from '../errors.js';
import { quoteColumnName, quoteIdent, sqlString } from '../identifiers.js';
import { DELETED_COLUMN, type MergeMode, type WriteMode } from './modes.js';
import { assertPartNames, partSql } from './partitions.js';

/** Bookkeeping columns the staged batch adds; a batch's own columns may not start with `_aida_`. */
export const PART_COLUMN = '_aida_part';
export const DELETED_FLAG = '_aida_deleted';
/** A row's place in the order the SELECT yielded it. */
const SEQ_COLUMN = '_aida_seq';
/** All bookkeeping columns, to leave out of what is stored. */
export const BOOKKEEPING = `${DELETED_FLAG}, ${PART_COLUMN}, ${SEQ_COLUMN}`;

export interface Column {
  name: string;
  type: string;
}

export interface Batch {
  /** The temp table (a generated identifier). */
  readonly table: string;
  /** The columns rows are stored with (the batch's own, without `_deleted`). */
  readonly columns: readonly Column[];
  /** Rows as given, before one row per key. */
  readonly rows: number;
  /** Rows left after one row per key, `_deleted` ones included: 0 means the batch changes nothing. */
  readonly effective: number;
  /** Parts the rows to store fall in, sorted; empty for an unpartitioned write. */
  readonly parts: readonly string[];
}

/** The column list of any SELECT, in order. */
export async function describe(conn: DuckDBConnection, selectSql: string): Promise<Column[]> {
  const rows = await queryRows<{ column_name: string; column_type: string }>(conn, `DESCRIBE SELECT * FROM (\n${selectSql}\n) AS _aida_src`);
  return rows.map((r) => ({ name: r.column_name, type: r.column_type }));
}

/** Stages `selectSql` for `mode`; the caller drops it with `dropBatch`. */
export async function stageBatch(conn: DuckDBConnection, selectSql: string, mode: WriteMode): Promise<Batch> {
  const given = await describe(conn, selectSql);
  const reserved = given.filter((c) => c.name.toLowerCase().startsWith('_aida_'));
  if (reserved.length) throw new InputError(`Column ${JSON.stringify(reserved[0].name)}: names starting with _aida_ are the writer's own`);
  const hasDeleted = given.some((c) => c.name === DELETED_COLUMN);
  if (hasDeleted && mode.mode !== 'merge')
    throw new InputError(`A ${DELETED_COLUMN} column marks rows to delete, which only a merge can do (mode '${mode.mode}')`);
  if (mode.mode === 'merge') {
    const absent = (cols: readonly string[]) => cols.filter((k) => !given.some((c) => c.name === k));
    const missingGroup = absent(mode.replaceBy ?? []);
    if (missingGroup.length)
      throw new InputError(`replaceBy column${missingGroup.length > 1 ? 's' : ''} ${missingGroup.join(', ')} not in the batch's columns`);
    // Deletions by group need no key: a batch of them may carry just the group's columns.
    const missing = absent(mode.primaryKey);
    if (missing.length && !(mode.replaceBy && hasDeleted))
      throw new InputError(`Primary key column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not in the batch's columns`);
  }
  // A merge batch of deletions alone may carry just the key: its rows need no part.
  const by = mode.partitionBy;
  const partless = by?.column !== undefined && !given.some((c) => c.name === by.column);
  if (partless && !hasDeleted) throw new InputError(`Partition column ${by.column} not in the batch's columns`);
  const table = `_aida_batch_${randomBytes(6).toString('hex')}`;
  const deleted = hasDeleted ? `coalesce(CAST(${quoteIdent(DELETED_COLUMN)} AS BOOLEAN), false)` : 'false';
  const part = by && !partless ? `CASE WHEN ${deleted} THEN NULL ELSE ${partSql(by)} END` : 'NULL::VARCHAR';
  // row_number() OVER () numbers rows in the order the SELECT yields them (DuckDB keeps it for an
  // empty OVER). Partitioned, rows are stored part by part: each part's scan then skips the row
  // groups of the others (zone maps), so writing every part costs one pass, not one per part.
  const own = hasDeleted ? ` EXCLUDE (${quoteIdent(DELETED_COLUMN)})` : '';
  await conn.run(
    `CREATE TEMP TABLE ${table} AS SELECT *${own}, ${deleted} AS ${DELETED_FLAG}, ${part} AS ${PART_COLUMN}, row_number() OVER () AS ${SEQ_COLUMN} FROM (\n${selectSql}\n) AS _aida_src${by ? ` ORDER BY ${PART_COLUMN}, ${SEQ_COLUMN}` : ''}`,
  );
  try {
    const rows = await count(conn, table);
    let effective = rows;
    if (mode.mode === 'merge' && rows > 0)
      effective = mode.replaceBy ? await keepLastPerGroupKey(conn, table, mode, given) : await keepLastPerKey(conn, table, mode.primaryKey);
    const found = by
      ? await queryRows<{ p: string | null }>(conn, `SELECT DISTINCT ${PART_COLUMN} AS p FROM ${table} WHERE NOT ${DELETED_FLAG} ORDER BY 1`)
      : [];
    const parts = found.flatMap((r) => (r.p === null ? [] : [r.p]));
    if (parts.length < found.length) throw new InputError(`Partition column ${by?.column} not in the batch's columns, which holds rows to store`);
    assertPartNames(parts);
    return { table, columns: given.filter((c) => c.name !== DELETED_COLUMN), rows, effective, parts };
  } catch (e) {
    await conn.run(`DROP TABLE IF EXISTS ${table}`);
    throw e;
  }
}

/** Drops the batch and the tables made from it (see `helperTable`). */
export async function dropBatch(conn: DuckDBConnection, batch: Batch): Promise<void> {
  await conn.run(`DROP TABLE IF EXISTS ${batch.table}`);
  await conn.run(`DROP TABLE IF EXISTS ${helperTable(batch)}`);
}

/** A temp table a mode builds from the batch, dropped with it. */
export function helperTable(batch: Batch): string {
  return `${batch.table}_keys`;
}

/** The batch's rows to store (of one part, or all), with the batch's columns only, in batch order. */
export function storedRows(batch: Batch, part: string | null): string {
  const inPart = part === null ? '' : ` AND ${PART_COLUMN} = ${sqlString(part)}`;
  return `SELECT * EXCLUDE (${BOOKKEEPING}) FROM ${batch.table} WHERE NOT ${DELETED_FLAG}${inPart}`;
}

/** `"a", "b"` for a key. */
export function keyList(key: readonly string[]): string {
  return key.map((k) => quoteColumnName(k, 'primary key column')).join(', ');
}

/**
 * Deletes all but the last row (in the SELECT's order) of every key; returns the rows left.
 * Checked first with a cheap aggregate, since most sources keep their keys unique.
 */
async function keepLastPerKey(conn: DuckDBConnection, table: string, key: readonly string[]): Promise<number> {
  const keys = keyList(key);
  const [{ dup }] = await queryRows<{ dup: boolean }>(conn, `SELECT EXISTS (SELECT 1 FROM ${table} GROUP BY ${keys} HAVING count(*) > 1) AS dup`);
  if (dup) {
    await conn.run(
      `DELETE FROM ${table} WHERE ${SEQ_COLUMN} IN (SELECT ${SEQ_COLUMN} FROM ${table} QUALIFY row_number() OVER (PARTITION BY ${keys} ORDER BY ${SEQ_COLUMN} DESC) > 1)`,
    );
  }
  return count(conn, table);
}

/**
 * For a merge by group: drops the stored rows a later `_deleted` row of their group removes, then
 * all but the last stored row per key. The `_deleted` rows stay: each removes its group.
 */
async function keepLastPerGroupKey(conn: DuckDBConnection, table: string, mode: MergeMode, given: readonly Column[]): Promise<number> {
  const group = mode.replaceBy!.map((k) => quoteColumnName(k, 'replaceBy column'));
  const same = group.map((k) => `d.${k} IS NOT DISTINCT FROM ${table}.${k}`).join(' AND ');
  await conn.run(
    `DELETE FROM ${table} WHERE NOT ${DELETED_FLAG} AND EXISTS (SELECT 1 FROM ${table} d WHERE d.${DELETED_FLAG} AND d.${SEQ_COLUMN} > ${table}.${SEQ_COLUMN} AND ${same})`,
  );
  const stored = await count(conn, table, `NOT ${DELETED_FLAG}`);
  if (stored > 0 && mode.primaryKey.some((k) => !given.some((c) => c.name === k))) {
    throw new InputError(
      `Primary key column${mode.primaryKey.length > 1 ? 's' : ''} ${mode.primaryKey.join(', ')} not in the batch's columns, which holds rows to store`,
    );
  }
  if (stored > 0) {
    const keys = keyList(mode.primaryKey);
    await conn.run(
      `DELETE FROM ${table} WHERE ${SEQ_COLUMN} IN (SELECT ${SEQ_COLUMN} FROM ${table} WHERE NOT ${DELETED_FLAG} QUALIFY row_number() OVER (PARTITION BY ${keys} ORDER BY ${SEQ_COLUMN} DESC) > 1)`,
    );
  }
  return count(conn, table);
}

async function count(conn: DuckDBConnection, table: string, where = 'true'): Promise<number> {
  const [{ n }] = await queryRows<{ n: number }>(conn, `SELECT count(*) AS n FROM ${table} WHERE ${where}`);
  return n;
}
