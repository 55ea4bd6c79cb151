// The SQL of a part's (or an unpartitioned table's) new rows for append and merge, and which
// current parts a merge batch reaches through its keys.
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from '../duckdb.js';
import { quoteColumnName, sqlString } from '../identifiers.js';
import { helperTable, keyList, storedRows, type Batch } from './batch.js';

/** `read_parquet` over files that may differ in columns (matched by name, as the table's view reads them). */
export function readFiles(paths: readonly string[]): string {
  return `read_parquet([${paths.map(sqlString).join(', ')}], union_by_name = true)`;
}

/** The current rows first, then the batch's, each in its order (UNION ALL keeps both). */
export function appendedRows(batch: Batch, part: string | null, current: readonly string[]): string {
  if (!current.length) return storedRows(batch, part);
  return `SELECT * FROM ${readFiles(current)} UNION ALL BY NAME ${storedRows(batch, part)}`;
}

/**
 * The current rows whose key (`match`: the primary key, or the group of a merge by group) the
 * batch does not hold (as a row to store anywhere or to delete), plus the batch's rows of the
 * part, ordered by the primary key: the same rows always give the same file. Columns are matched by name and keep the current order; one the batch adds comes last
 * and is NULL in the rows carried over, one it lacks is NULL in its rows. `staged`: the keys to
 * remove were staged per file by `stageKeysInFiles` (a partitioned table), else the batch's are used.
 */
export function mergedRows(
  batch: Batch,
  part: string | null,
  current: readonly string[],
  key: readonly string[],
  match: readonly string[],
  staged: boolean,
): string {
  const fresh = storedRows(batch, part);
  if (!current.length) {
    // A batch of group deletions alone may lack the key's columns (and then stores no rows).
    const keyed = key.every((k) => batch.columns.some((c) => c.name === k));
    return keyed ? `SELECT * FROM (${fresh}) ORDER BY ${keyList(key)}` : fresh;
  }
  const gone = staged ? `(SELECT * FROM ${helperTable(batch)} WHERE _aida_file IN (${current.map(sqlString).join(', ')}))` : batch.table;
  return `SELECT * FROM (SELECT c.* FROM ${readFiles(current)} c ANTI JOIN ${gone} b ON (${keyMatch(match, 'c', 'b')}) UNION ALL BY NAME ${fresh}) ORDER BY ${keyList(key)}`;
}

/**
 * Of `files`, the ones holding a row whose key is in the batch: their part must be rewritten.
 * Those keys are staged per file (ordered by file), so each part's merge removes just its own
 * rather than probing the whole batch, which may be large and touch many parts.
 */
export async function stageKeysInFiles(conn: DuckDBConnection, batch: Batch, files: readonly string[], key: readonly string[]): Promise<Set<string>> {
  if (!files.length || batch.effective === 0) return new Set();
  const keys = key.map((k) => `c.${quoteColumnName(k, 'primary key column')}`).join(', ');
  await conn.run(
    `CREATE TEMP TABLE ${helperTable(batch)} AS SELECT c._aida_file, ${keys} FROM read_parquet([${files.map(sqlString).join(', ')}], union_by_name = true, filename = '_aida_file') c SEMI JOIN ${batch.table} b ON (${keyMatch(key, 'c', 'b')}) ORDER BY 1`,
  );
  const rows = await queryRows<{ f: string }>(conn, `SELECT DISTINCT _aida_file AS f FROM ${helperTable(batch)}`);
  return new Set(rows.map((r) => r.f));
}

/** NULL-safe equality of the key between two aliases. */
function keyMatch(key: readonly string[], a: string, b: string): string {
  return key
    .map((k) => quoteColumnName(k, 'primary key column'))
    .map((k) => `${a}.${k} IS NOT DISTINCT FROM ${b}.${k}`)
    .join(' AND ');
}
