// The query tool's rows: the same runner as POST /api/query (the parse-tree check, the caller's
// read access on every table, the locked-down read-only engine, the time budget and the slot),
// asked for up to the paging limit. A result past it is refused with guidance, never cut.
import { MCP_PAGED_MAX_ROWS, resultTooLarge, type QueryRows } from '@aida/core';
import type { Reader } from '../data/access.js';
import type { QueryRunner } from '../data/query/runner.js';
import { QueryResultTooLargeError } from '../errors.js';
import { splitQueryAnswer } from './json-rows.js';

export async function queryRows(runner: QueryRunner, user: Reader, sql: string, signal?: AbortSignal): Promise<QueryRows> {
  let text: string;
  try {
    text = await runner.json(user, sql, MCP_PAGED_MAX_ROWS, signal);
  } catch (e) {
    // The runner's JSON size cap is the paging limit here (see mcpQueryRunner).
    if (e instanceof QueryResultTooLargeError) {
      const soFar = (e.detail as { rows_so_far?: number } | null)?.rows_so_far ?? 0;
      throw resultTooLarge({ rows: soFar, chars: runner.limits.maxJsonChars, moreThan: true });
    }
    throw e;
  }
  const answer = splitQueryAnswer(text);
  if (answer.truncated) throw resultTooLarge({ rows: MCP_PAGED_MAX_ROWS, moreThan: true });
  return { columns: answer.columns, rows: answer.rows };
}
