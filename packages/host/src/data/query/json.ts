/**
 * The JSON answer: at most `limit` rows built in memory, so it is capped in size and says
 * whether rows were left out — unlike the streaming formats, which hold one chunk at a time.
 */
import { StatementType } from '@duckdb/node-api';
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
    const wrapped = await enclose(conn, clock, sql, checked.node, limit + 1);
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
        if (size > limits.maxJsonChars) {
          throw new QueryResultTooLargeError(`The result is larger than ${Math.round(limits.maxJsonChars / 1024 / 1024)} MB as JSON; ask for fewer rows or columns, or for format ndjson, csv or parquet`, {
            detail: { rows_so_far: rows },
          });
        }
        parts.push(text);
        rows += take;
      }
      if (chunk.rowCount > take) {
        truncated = true;
        break;
      }
    }
    return `{"columns":${JSON.stringify(columnsOf(result))},"rows":[${parts.join(',')}],"row_count":${rows},"truncated":${truncated}}`;
  });
}
