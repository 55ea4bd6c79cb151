/**
 * The JSON answer: at most `limit` rows built in memory, so it is capped in size and says
 * whether rows were left out — unlike the streaming formats, which hold one chunk at a time.
 */
import { StatementType, type DuckDBConnection } from '@duckdb/node-api';
import { QueryResultTooLargeError } from '../../errors.js';
import type { Reader } from '../access.js';
import type { DataContext } from '../context.js';
import type { EngineClock } from './clock.js';
import { enclose } from './enclose.js';
import { checkQuery, completionCheck, execute, withAnalytics } from './engine.js';
import { ChunkEncoder, columnsOf } from './formats.js';
import type { QueryLimits } from './limits.js';

/**
 * JSON: at most `limit` rows, held in memory; `truncated` when more exist. The checked text
 * runs as `SELECT * FROM (<text>) LIMIT limit+1`, materialized (so the engine stops early,
 * ORDER BY … becomes a top-N, and a failure carries DuckDB's message); a text that cannot be
 * enclosed that way (a trailing comment after `;`) is streamed as it is instead.
 */
export async function jsonAnswer(ctx: DataContext, clock: EngineClock, limits: QueryLimits, user: Reader, sql: string, limit: number): Promise<string> {
  return withAnalytics(ctx, clock, async (conn) => {
    const checked = await checkQuery(ctx, conn, clock, user, sql);
    return jsonText(await readJsonRows(conn, clock, limits, sql, checked.node, limit));
  });
}

/** A JSON answer's rows, encoded: `rows` is the text inside the `rows` array. */
export interface JsonRows {
  columns: { name: string; type: string }[];
  rows: string;
  rowCount: number;
  truncated: boolean;
}

/** Runs an already checked statement (`node` is its checked tree) on `conn` and encodes at most `limit` rows. */
export async function readJsonRows(conn: DuckDBConnection, clock: EngineClock, limits: QueryLimits, sql: string, node: Record<string, unknown>, limit: number): Promise<JsonRows> {
  const wrapped = await enclose(conn, clock, sql, node, limit + 1);
  const result = wrapped ? await execute(conn, clock, wrapped, StatementType.SELECT, true) : await execute(conn, clock, sql, StatementType.SELECT);
  const completed = completionCheck(result);
  const encoder = new ChunkEncoder('json', result);
  const parts: string[] = [];
  let rows = 0;
  let size = 0;
  let truncated = false;
  for (;;) {
    const chunk = await clock.run(() => result.fetchChunk());
    if (!chunk || chunk.rowCount === 0) {
      completed();
      break;
    }
    const take = Math.min(chunk.rowCount, limit - rows);
    if (take > 0) {
      const text = encoder.encode(chunk, take);
      size += text.length;
      if (size > limits.maxJsonChars) throw resultTooLarge(limits, rows);
      parts.push(text);
      rows += take;
    }
    if (chunk.rowCount > take) {
      truncated = true;
      break;
    }
  }
  return { columns: columnsOf(result), rows: parts.join(','), rowCount: rows, truncated };
}

/** The answer `{columns, rows, row_count, truncated}`, with `extra` keys after those. */
export function jsonText(a: JsonRows, extra: Record<string, unknown> = {}): string {
  const more = Object.entries(extra).map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`).join('');
  return `{"columns":${JSON.stringify(a.columns)},"rows":[${a.rows}],"row_count":${a.rowCount},"truncated":${a.truncated}${more}}`;
}

export function resultTooLarge(limits: QueryLimits, rowsSoFar: number, hint = 'ask for fewer rows or columns, or for format ndjson, csv or parquet'): InstanceType<typeof QueryResultTooLargeError> {
  return new QueryResultTooLargeError(`The result is larger than ${Math.round(limits.maxJsonChars / 1024 / 1024)} MB as JSON; ${hint}`, {
    detail: { rows_so_far: rowsSoFar },
  });
}
