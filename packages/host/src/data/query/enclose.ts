/**
 * Wrapping a checked text as `SELECT * FROM (<text>) AS _aida_query [LIMIT n]` — for a limit
 * the engine can stop early on, and as the body of the Parquet COPY — but only when the
 * engine's parse of the wrapper proves it still runs nothing but the checked statement.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { EngineClock } from './clock.js';
import { sameTree, serializeSql, withoutLocations } from './statement.js';

/**
 * The checked text as `SELECT * FROM (<text>) AS _aida_query [LIMIT n]`, or null when that
 * would not be the same query. DuckDB parses the wrapped text and its subquery must be
 * exactly the tree that was checked: that proves the text stands on its own between the
 * parentheses (no comment or string swallowing them), so the wrapper — and COPY around
 * it — runs nothing but the checked statement.
 */
export async function enclose(conn: DuckDBConnection, clock: EngineClock, sql: string, node: unknown, limit: number | undefined): Promise<string | null> {
  // Also without trailing comments; if that cut into a string, the trees differ and it is not used.
  const candidates = [...new Set([trimTail(sql, false), trimTail(sql, true)])];
  const expected = withoutLocations(node);
  for (const text of candidates) {
    if (!text.trim()) continue;
    const wrapped = `SELECT * FROM (\n${text}\n) AS _aida_query${limit === undefined ? '' : ` LIMIT ${Math.floor(limit)}`}`;
    const again = await clock.run(() => serializeSql(conn, wrapped));
    // DuckDB's serialised parse tree is deep, loosely shaped JSON; it is walked defensively below.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const statements = again.statements as Record<string, any>[] | undefined;
    const outer = !again.error && statements?.length === 1 ? statements[0].node : undefined;
    const from = outer?.type === 'SELECT_NODE' && outer.select_list?.length === 1 && outer.select_list[0].class === 'STAR' ? outer.from_table : undefined;
    const sub = from?.type === 'SUBQUERY' && from.alias === '_aida_query' ? from.subquery?.node : undefined;
    if (sub && sameTree(withoutLocations(sub), expected)) return wrapped;
  }
  return null;
}

/**
 * The text without trailing whitespace and semicolons (and, with `comments`, trailing `--` and
 * block comments). A plain scan: regular expressions anchored at the end backtrack
 * quadratically on long runs of whitespace.
 */
export function trimTail(s: string, comments: boolean): string {
  let end = s.length;
  for (;;) {
    while (end > 0 && (s[end - 1] === ';' || /\s/.test(s[end - 1]))) end--;
    if (!comments) break;
    const lineStart = s.lastIndexOf('\n', end - 1) + 1;
    const dash = s.indexOf('--', lineStart);
    if (dash >= 0 && dash < end) {
      end = dash;
      continue;
    }
    if (end >= 4 && s.startsWith('*/', end - 2)) {
      const open = s.lastIndexOf('/*', end - 3);
      if (open >= 0) {
        end = open;
        continue;
      }
    }
    break;
  }
  return s.slice(0, end);
}
