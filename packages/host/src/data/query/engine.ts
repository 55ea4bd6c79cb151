/**
 * One checked statement on an engine connection: the caller's tables checked, exactly one
 * statement of the expected type prepared and started, and whatever the engine throws turned
 * into the answer the client is given. Shared by every output format.
 */
import { StatementType, type DuckDBConnection, type DuckDBResult, type DuckDBType } from '@duckdb/node-api';
import { isAidaError } from '@aida/core';
import { AnalyticsNotReadyError, QueryFailedError, QueryMultipleStatementsError, QueryNotSelectError, QueryParametersError, QuerySandboxError, QueryUnknownTableError } from '../../errors.js';
import type { Reader } from '../access.js';
import type { DataContext } from '../context.js';
import { ClientGone, QueryTimeoutError, type EngineClock } from './clock.js';
import { remoteTableError } from '../remote/remote-table.js';
import { checkStatement, type CheckedStatement } from './statement.js';

/** A connection of the current analytics generation, with engine errors turned into answers. */
export async function withAnalytics<T>(ctx: DataContext, clock: EngineClock, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  if (!ctx.analytics.isOpen) {
    throw new AnalyticsNotReadyError('The analytics database has not been built yet: sync a source first');
  }
  return ctx.analytics.withConnection((conn) => onClock(ctx, clock, conn, fn));
}

/** Runs `fn` with the clock interrupting `conn`, engine errors turned into answers. */
export async function onClock<T>(ctx: DataContext, clock: EngineClock, conn: DuckDBConnection, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  clock.on(conn);
  try {
    return await fn(conn);
  } catch (e) {
    throw answerFor(ctx, e, clock);
  } finally {
    clock.on(null);
  }
}

/**
 * Parse-tree check, then every table must exist locally and be readable by the caller.
 * `aliases` (lower case) are tables of this query alone (a hybrid query's source rows): known,
 * and nobody's to grant.
 */
export async function checkQuery(
  ctx: DataContext,
  conn: DuckDBConnection,
  clock: EngineClock,
  user: Reader,
  sql: string,
  aliases: ReadonlySet<string> = new Set(),
): Promise<CheckedStatement> {
  const checked = await clock.run(() => checkStatement(conn, sql));
  const served = new Map(ctx.analytics.tables().map((t) => [t.table_name.toLowerCase(), t]));
  for (const t of checked.tables) {
    if (aliases.has(t.toLowerCase())) continue;
    // Access before existence, as on every per-table route: unknown and private look alike.
    ctx.access.assertCanRead(user, t);
    const table = served.get(t.toLowerCase());
    if (!table) {
      throw new QueryUnknownTableError(`Table '${t}' does not exist in the analytics database; GET /api/catalog/tables lists the tables you can query`, {
        detail: { table: t },
      });
    }
    if (table.query_mode === 'remote') throw remoteTableError(ctx, table, 'is not in the analytics database');
  }
  return checked;
}

/**
 * Prepares and starts exactly one statement of the expected type (the engine's own view of
 * the text, a second check after the parse-tree one) and returns its streaming result.
 */
export async function execute(conn: DuckDBConnection, clock: EngineClock, sql: string, type: StatementType, materialize = false): Promise<DuckDBResult> {
  const extracted = await clock.run(() => conn.extractStatements(sql));
  if (extracted.count !== 1) throw new QueryMultipleStatementsError('Send exactly one SELECT statement');
  const prepared = await clock.run(() => extracted.prepare(0));
  try {
    if (prepared.statementType !== type) throw new QueryNotSelectError('Only a single read-only SELECT statement is allowed');
    if (prepared.parameterCount > 0) {
      throw new QueryParametersError('Query parameters ($1, ?) are not supported: write the values into the SQL');
    }
    return await clock.run(() => (materialize ? prepared.run() : prepared.stream()));
  } finally {
    prepared.destroySync();
  }
}

/**
 * The names and types of the columns a SELECT would give, without running it (the same
 * single-statement, SELECT-only, no-parameters checks as `execute`).
 */
export async function describeColumns(conn: DuckDBConnection, clock: EngineClock, sql: string): Promise<{ name: string; type: DuckDBType }[]> {
  const extracted = await clock.run(() => conn.extractStatements(sql));
  if (extracted.count !== 1) throw new QueryMultipleStatementsError('Send exactly one SELECT statement');
  const prepared = await clock.run(() => extracted.prepare(0));
  try {
    if (prepared.statementType !== StatementType.SELECT) throw new QueryNotSelectError('Only a single read-only SELECT statement is allowed');
    if (prepared.parameterCount > 0) {
      throw new QueryParametersError('Query parameters ($1, ?) are not supported: write the values into the SQL');
    }
    return Array.from({ length: prepared.columnCount }, (_, i) => ({ name: prepared.columnName(i), type: prepared.columnType(i) }));
  } finally {
    prepared.destroySync();
  }
}

/** Maps an engine error to what the caller is told. */
export function answerFor(ctx: DataContext, e: unknown, clock: EngineClock): unknown {
  if (clock.timedOut) return new QueryTimeoutError(clock.budgetMs);
  if (isAidaError(e) || e instanceof ClientGone) return e;
  if (e instanceof StreamFailedError) {
    if (clock.cancelled) return new ClientGone();
    return new QueryFailedError('The query failed while its rows were being read (a value that could not be converted, error(), out of memory…); run it with format json to see the engine’s message', {
      detail: { engine_error: null },
    });
  }
  const message = e instanceof Error ? e.message : String(e);
  const kind = /^([A-Za-z ]+?) Error:/.exec(message)?.[1] ?? '';
  if (kind === 'INTERRUPT') return clock.cancelled ? new ClientGone() : new QueryTimeoutError(clock.budgetMs);
  if (kind === 'Permission') {
    // The engine's own lock-down caught something the statement check let through.
    ctx.logger.warn({ err: e }, 'the analytics engine refused a checked query');
    return new QuerySandboxError(`The query was refused by the engine sandbox: ${firstLine(message)}`);
  }
  if (['IO', 'Internal', 'FATAL', 'Fatal', 'Connection'].includes(kind) || !kind) return e;
  // Binder, Catalog, Conversion, Out of Range, Invalid Input, Out of Memory…: the query's problem.
  return new QueryFailedError(`The query failed: ${message.trim()}`, { detail: { engine_error: kind } });
}

/**
 * A streaming result that fails part-way ends exactly like one that is exhausted: the client
 * library returns an empty chunk and has no way to read the error (duckdb_result_error is not
 * exposed). What does change is the result's state: it stops being a streaming query result.
 * The returned function, called when the rows run out, throws if that happened.
 */
export function completionCheck(result: DuckDBResult): () => void {
  const streaming = result.isStreaming;
  const returnType = result.returnType;
  return () => {
    if (result.isStreaming !== streaming || result.returnType !== returnType) throw new StreamFailedError();
  }
}

class StreamFailedError extends Error {
  constructor() {
    super('the query failed while its rows were being read');
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}
