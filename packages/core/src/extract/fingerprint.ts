// Whether a replace leaves a part as it is. A source exporting the same rows in another order
// would otherwise give new bytes, a new hash and a download for every part on every sync.
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from '../duckdb.js';
import { sqlString } from '../identifiers.js';
import { BOOKKEEPING, PART_COLUMN, describe, type Batch } from './batch.js';
import { readFiles } from './merge.js';

/**
 * The parts (of `current`: part → absolute path of its one file) whose file holds exactly the
 * batch's rows of that part: the same columns with the same types in the same order (a hash
 * alone cannot tell 1::INT from 1::BIGINT), the same number of rows and the same sum of row
 * hashes, so the same rows in any order.
 */
export async function unchangedParts(conn: DuckDBConnection, batch: Batch, current: ReadonlyMap<string, string>): Promise<Set<string>> {
  const candidates: [string, string][] = [];
  for (const part of batch.parts) {
    const path = current.get(part);
    if (path && sameColumns(await describe(conn, `SELECT * FROM ${readFiles([path])}`), batch)) candidates.push([part, path]);
  }
  if (!candidates.length) return new Set();
  const fresh = new Map(
    (
      await queryRows<{ p: string; n: number; h: string }>(
        conn,
        `SELECT ${PART_COLUMN} AS p, count(*) AS n, sum(hash(*COLUMNS(* EXCLUDE (${BOOKKEEPING}))))::VARCHAR AS h FROM ${batch.table} WHERE ${PART_COLUMN} IN (${candidates.map(([p]) => sqlString(p)).join(', ')}) GROUP BY 1`,
      )
    ).map((r) => [r.p, `${r.n}/${r.h}`]),
  );
  // `*COLUMNS` hashes each row's columns together (COLUMNS alone would hash column by column).
  // The candidates' columns are the batch's, so one scan reads them all in the same column order.
  const stored = new Map(
    (
      await queryRows<{ f: string; n: number; h: string }>(
        conn,
        `SELECT _aida_file AS f, count(*) AS n, sum(hash(*COLUMNS(* EXCLUDE (_aida_file))))::VARCHAR AS h FROM read_parquet([${candidates.map(([, f]) => sqlString(f)).join(', ')}], filename = '_aida_file') GROUP BY 1`,
      )
    ).map((r) => [r.f, `${r.n}/${r.h}`]),
  );
  return new Set(candidates.filter(([part, path]) => fresh.get(part) !== undefined && fresh.get(part) === stored.get(path)).map(([part]) => part));
}

function sameColumns(columns: readonly { name: string; type: string }[], batch: Batch): boolean {
  return columns.length === batch.columns.length && columns.every((c, i) => c.name === batch.columns[i].name && c.type === batch.columns[i].type);
}
