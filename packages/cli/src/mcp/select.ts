// One read-only SELECT against the workspace database, for the query tool. DuckDB itself decides
// what the text is (one statement, of type SELECT); the database is open read-only and locked
// down (read-only-db.ts). The rows come back as JSON texts with values exactly as
// `da query --json` prints them, bounded by the paging limits: past them the result is refused,
// never cut.
import type { DuckDBConnection, DuckDBMaterializedResult, DuckDBPreparedStatement } from '@duckdb/node-api';
import { isAidaError, refusal, resultTooLarge, type QueryRows } from '@aida/core';
import { CliError } from '../errors.js';
import { localRow, readsAsText } from '../local-db.js';
import { jsonReplacer } from '../output.js';

export interface SelectLimits {
  maxRows: number;
  /** Characters of row JSON in all. */
  maxChars: number;
  timeoutMs: number;
}

export async function runSelect(conn: DuckDBConnection, sql: string, limits: SelectLimits): Promise<QueryRows> {
  const { JSDuckDBValueConverter, StatementType } = await import('@duckdb/node-api');
  const statement = await prepareOne(conn, sql);
  const prepared: DuckDBPreparedStatement[] = [statement];
  try {
    if (statement.statementType !== StatementType.SELECT)
      throw refusal(
        'not_a_select',
        `This is a ${StatementType[statement.statementType]} statement; only one read-only SELECT is run`,
        'write a SELECT (WITH, VALUES, FROM-first, DESCRIBE and SUMMARIZE are fine)',
      );
    if (statement.parameterCount > 0) throw refusal('not_a_select', 'Query parameters ($1, ?) are not supported', 'write the values into the SQL');
    const columns = Array.from({ length: statement.columnCount }, (_, i) => ({ name: statement.columnName(i), type: statement.columnType(i).toString() }));
    // Bounded: the engine stops one row past the limit instead of materializing a whole table.
    const bounded = await boundedStatement(conn, sql, limits.maxRows, columns.length);
    if (bounded) prepared.push(bounded);
    const result = await withTimeout(conn, limits.timeoutMs, () => (bounded ?? statement).run());
    if (result.rowCount > limits.maxRows) throw resultTooLarge({ rows: limits.maxRows, moreThan: true });
    return { columns, rows: rowTexts(result, columns, limits, JSDuckDBValueConverter) };
  } finally {
    for (const p of prepared) p.destroySync();
  }
}

async function prepareOne(conn: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  try {
    const extracted = await conn.extractStatements(sql);
    if (extracted.count !== 1)
      throw refusal(
        'not_a_select',
        extracted.count ? `The text holds ${extracted.count} statements` : 'The text holds no statement',
        'send exactly one SELECT (no ; between statements)',
      );
    return await extracted.prepare(0);
  } catch (e) {
    if (!(e instanceof Error) || e instanceof CliError || isAidaError(e)) throw e;
    throw engineError(e);
  }
}

/** The statement as `SELECT * FROM (…) LIMIT n`, when DuckDB takes it so with the same columns (PRAGMA, say, it does not). */
async function boundedStatement(conn: DuckDBConnection, sql: string, maxRows: number, columns: number): Promise<DuckDBPreparedStatement | undefined> {
  const body = sql.replace(/[\s;]+$/, '');
  try {
    const extracted = await conn.extractStatements(`SELECT * FROM (\n${body}\n) AS _aida_query LIMIT ${maxRows + 1}`);
    if (extracted.count !== 1) return undefined;
    const p = await extracted.prepare(0);
    if (p.columnCount === columns) return p;
    p.destroySync();
  } catch {
    // Not usable as a subquery: the statement runs as written.
  }
  return undefined;
}

async function withTimeout(conn: DuckDBConnection, ms: number, run: () => Promise<DuckDBMaterializedResult>): Promise<DuckDBMaterializedResult> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.interrupt();
  }, ms);
  try {
    return await run();
  } catch (e) {
    if (timedOut)
      throw new CliError('data', `The query ran longer than ${Math.round(ms / 1000)} s and was stopped`, {
        hint: 'filter with WHERE, aggregate, or add a LIMIT; da mcp --timeout sets the limit',
      });
    throw engineError(e as Error);
  } finally {
    clearTimeout(timer);
  }
}

function rowTexts(
  result: DuckDBMaterializedResult,
  columns: { type: string }[],
  limits: SelectLimits,
  converter: typeof import('@duckdb/node-api').JSDuckDBValueConverter,
): string[] {
  const textual = columns.map((c) => readsAsText(c.type));
  const anyTextual = textual.some(Boolean);
  const rows: string[] = [];
  let chars = 0;
  for (let i = 0; i < result.chunkCount; i++) {
    const chunk = result.getChunk(i);
    const values = chunk.convertRows(converter);
    const raw = anyTextual ? chunk.getRows() : [];
    for (let r = 0; r < values.length; r++) {
      const row = anyTextual ? localRow(values[r], raw[r]!, textual) : values[r];
      const text = JSON.stringify(row, jsonReplacer);
      chars += text.length;
      if (chars > limits.maxChars) throw resultTooLarge({ rows: rows.length, chars: limits.maxChars, moreThan: true });
      rows.push(text);
    }
  }
  return rows;
}

/** DuckDB's message, with a pointer to the tables when one is unknown. */
function engineError(e: Error): CliError {
  const missing = /Table with name (\S+) does not exist/.test(e.message);
  return new CliError('data', e.message.trim(), {
    hint: missing ? 'list_tables shows the tables on this laptop (da sync brings the ones you may read)' : undefined,
  });
}
