// Where an incremental sync starts: the largest `incremental_column` of what the table stores
// now (read from its current Parquet files, so it is what AIDA has, not a clock), less the
// overlap — a duration for dates and times, a count for numbers — as the typed query parameter
// of `WHERE column > @aida_since`. Rows in the overlap are fetched again and merged by key.
import { queryRows, sqlString, type ExtractWriter } from '@aida/core';
import type { TableField } from './api-types.js';
import type { QueryParameter } from './client.js';
import type { Overlap } from './config.js';
import { quoteName, standardType } from './types.js';

export const SINCE_PARAMETER = 'aida_since';

/** What BigQuery's query parameter is called for each incremental column type, and how DuckDB prints the threshold. */
const KINDS: Record<string, { param: string; overlap: 'duration' | 'count' | 'none'; text: (max: string, overlap: string) => string }> = {
  INT64: { param: 'INT64', overlap: 'count', text: (m, o) => `CAST(${m} - ${o} AS VARCHAR)` },
  NUMERIC: { param: 'NUMERIC', overlap: 'count', text: (m, o) => `CAST(${m} - ${o} AS VARCHAR)` },
  FLOAT64: { param: 'FLOAT64', overlap: 'count', text: (m, o) => `CAST(${m} - ${o} AS VARCHAR)` },
  DATE: { param: 'DATE', overlap: 'duration', text: (m, o) => `strftime(CAST(${m} - ${o} AS DATE), '%Y-%m-%d')` },
  DATETIME: { param: 'DATETIME', overlap: 'duration', text: (m, o) => `strftime(${m} - ${o}, '%Y-%m-%d %H:%M:%S.%f')` },
  // The writer's connection runs in UTC, so the text is UTC.
  TIMESTAMP: { param: 'TIMESTAMP', overlap: 'duration', text: (m, o) => `strftime(${m} - ${o}, '%Y-%m-%d %H:%M:%S.%f') || '+00:00'` },
  STRING: { param: 'STRING', overlap: 'none', text: (m) => m },
};

/** Refuses an incremental column the watermark cannot be kept on; the message says what would work. */
export function checkIncrementalColumn(field: TableField | undefined, column: string, overlap: Overlap | undefined): void {
  if (!field) throw new Error(`incremental_column ${column} is not a column of the table`);
  const type = standardType(field.type);
  const kind = KINDS[type];
  if (!kind || field.mode === 'REPEATED') {
    throw new Error(
      `incremental_column ${column} is ${field.mode === 'REPEATED' ? 'REPEATED' : type}; use an INT64, NUMERIC, FLOAT64, DATE, DATETIME, TIMESTAMP or STRING column`,
    );
  }
  if (overlap && kind.overlap !== overlap.kind) {
    const wanted = kind.overlap === 'none' ? 'no overlap' : kind.overlap === 'duration' ? 'a duration (e.g. overlap: 2h)' : 'a count (e.g. overlap: 100)';
    throw new Error(`incremental_column ${column} is ${type}: its overlap takes ${wanted}`);
  }
}

/**
 * The `@aida_since` parameter for the table's stored files, or undefined when they hold no
 * value of the column (then the whole table is fetched).
 */
export async function sinceParameter(
  conn: ExtractWriter['connection'],
  files: readonly string[],
  field: TableField,
  overlap: Overlap | undefined,
): Promise<QueryParameter | undefined> {
  const kind = KINDS[standardType(field.type)];
  const max = `max(${quoteName(field.name)})`;
  const by = !overlap ? '0' : overlap.kind === 'count' ? String(overlap.count) : `to_milliseconds(${overlap.ms})`;
  const amount = !overlap && kind.overlap === 'duration' ? 'INTERVAL 0 SECOND' : by;
  const [row] = await queryRows<{ since: string | null }>(
    conn,
    `SELECT ${kind.text(max, amount)} AS since FROM read_parquet([${files.map(sqlString).join(', ')}])`,
  );
  if (row?.since === null || row?.since === undefined) return undefined;
  return { name: SINCE_PARAMETER, parameterType: { type: kind.param }, parameterValue: { value: String(row.since) } };
}
