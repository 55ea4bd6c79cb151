// da query "SQL": against the local analytics.duckdb by default (works offline, any statement:
// it is the analyst's own database), or on the server with --remote: through POST /api/query
// (one read-only SELECT, permission-checked and sandboxed by the server), and for a table that
// stays at its source (BigQuery) through POST /api/query/remote, in the source's SQL — a query
// naming one is sent there when /api/query says so, and --source <name> always sends it there.
import { access } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatBytes } from '@aida/core';
import { action } from '../command.js';
import type { Context } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { openLocalDb, runLocalQuery, type QueryResult } from '../local-db.js';
import { readStdin } from '../prompt.js';
import { renderCsv, renderTable } from '../render.js';
import { jsonReplacer } from '../output.js';

interface QueryOptions {
  remote?: boolean;
  source?: string;
  format?: string;
  limit?: string;
}

/** A server's answer: POST /api/query's, plus the bytes the source billed for a query run at the source. */
type RemoteAnswer = QueryResult & { bytes_scanned?: number };

const FORMATS = ['table', 'json', 'csv'] as const;
type Format = (typeof FORMATS)[number];

/** Rows returned without --limit (off a terminal; on one, a table shows a screenful of them). */
const DEFAULT_LIMIT = 1000;
/** The most rows the server answers one query with (its query.max_json_limit default). */
const MAX_REMOTE_LIMIT = 100_000;
/** A screenful when the terminal does not say its height. */
const FALLBACK_SCREEN_ROWS = 20;
/** Terminal lines a screenful leaves free: the header and its rule, the note below, the prompt, one spare. */
const RESERVED_LINES = 5;

export function registerQuery(program: Command): void {
  program
    .command('query')
    .description('Run SQL on the local DuckDB (default), on the server (--remote), or at a source (--source)')
    .argument('<sql>', "the statement, or '-' to read it from stdin")
    .option('--remote', 'run on the server through the API (a query naming a table that stays at its source runs there, in its SQL)')
    .option('--source <name>', 'run at that source, in its SQL (GoogleSQL for BigQuery); implies --remote')
    .option('-f, --format <format>', 'table | json | csv (default: table; json with --json)')
    .option('--limit <n>', `rows to return; 0 for all (local only) (default: ${DEFAULT_LIMIT}; a table on a terminal shows a screenful of them)`)
    .action(action<QueryOptions, [string]>(query));
}

async function query(ctx: Context, o: QueryOptions, sqlArg: string): Promise<void> {
  const sql = (sqlArg === '-' ? await readStdin() : sqlArg).trim();
  if (!sql) throw usageError('No SQL given', `da query "SELECT * FROM orders LIMIT 10"`);
  const format = (o.format ?? (ctx.out.json ? 'json' : 'table')) as Format;
  if (!FORMATS.includes(format)) throw usageError(`Unknown format '${o.format}'`, `use one of ${FORMATS.join(', ')}`);
  if (ctx.out.json && format !== 'json') throw usageError(`--json prints JSON; it cannot go with -f ${format}`, 'drop one of them');
  const remote = Boolean(o.remote) || o.source !== undefined;
  const limit = o.limit === undefined ? DEFAULT_LIMIT : Number(o.limit);
  if (!Number.isInteger(limit) || limit < 0) throw usageError(`--limit must be a whole number ≥ 0, not '${o.limit}'`);
  if (remote && limit === 0)
    throw usageError('--limit 0 (all rows) is for local queries', `the server caps JSON answers; ask for a limit up to ${MAX_REMOTE_LIMIT}`);
  // A table on a terminal without --limit shows what fits on the screen rather than 1,000
  // rows scrolling past; a pipe, a file, CSV, JSON and an explicit --limit get every row asked for.
  const screen = format === 'table' && o.limit === undefined ? screenful(ctx.out.screenRows) : undefined;

  let result: RemoteAnswer;
  /** Rows the statement produced (local), or at least how many exist (remote: `truncated` says more). */
  let total: number;
  if (remote) {
    result = await serverQuery(ctx, sql, limit, o.source);
    total = result.row_count;
  } else {
    // Never creates a workspace as a side effect of a query in the wrong folder.
    if (
      !(await access(ctx.ws.duckdbPath).then(
        () => true,
        () => false,
      ))
    ) {
      throw usageError(
        `No local database in ${ctx.ws.root} (user/duckdb/analytics.duckdb)`,
        'run da sync here first, set DA_LOCAL_DIR to your workspace, or use --remote',
      );
    }
    const db = await openLocalDb(ctx.ws);
    try {
      // The JSON answer stays as it was: the total is only for the note below a screenful.
      const { total_rows, ...local } = await runLocalQuery(db, sql, screen ?? limit);
      result = local;
      total = total_rows;
    } finally {
      db.close();
    }
  }
  const names = result.columns.map((c) => c.name);
  const scanned = result.bytes_scanned === undefined ? '' : `${formatBytes(result.bytes_scanned)} scanned at the source`;
  if (scanned && format !== 'table') ctx.out.info(scanned);
  if (format === 'csv') {
    ctx.out.raw(renderCsv(names, result.rows));
    if (result.truncated) ctx.out.warn(`only the first ${limit} rows were written; --limit 0 writes all of them`);
  } else if (format === 'json') ctx.out.raw(`${JSON.stringify({ ...result, source: remote ? 'remote' : 'local' }, jsonReplacer)}\n`);
  else if (screen !== undefined && (total > screen || (remote && result.truncated))) {
    ctx.out.raw(`${renderTable(names, result.rows.slice(0, screen))}\n`);
    // Remote answers stop at the limit: beyond it the server only says that there are more.
    const atLeast = remote && result.truncated ? 'more than ' : '';
    const all = remote ? `-f csv --limit ${MAX_REMOTE_LIMIT} > rows.csv writes up to that many` : '-f csv --limit 0 > rows.csv writes them all';
    ctx.out.info(
      `${screen} of ${atLeast}${count(total)} rows shown; ${atLeast}${count(total - screen)} more: --limit N shows N rows${remote ? '' : ' (0: all)'}, ${all}${scanned ? `; ${scanned}` : ''}`,
    );
  } else {
    ctx.out.raw(`${renderTable(names, result.rows)}\n`);
    ctx.out.info(`${result.row_count} row(s)${result.truncated ? ` — truncated at ${limit}; use --limit` : ''}${scanned ? `; ${scanned}` : ''}`);
  }
}

/**
 * On the server: at the source with `source`, else through POST /api/query, and on to POST
 * /api/query/remote when the server answers that the query names a table staying at its source.
 */
async function serverQuery(ctx: Context, sql: string, limit: number, source: string | undefined): Promise<RemoteAnswer> {
  const atSource = () =>
    ctx.api().json<RemoteAnswer>('/api/query/remote', { method: 'POST', body: { sql, limit, ...(source === undefined ? {} : { source }) } });
  if (source !== undefined) return atSource();
  try {
    return await ctx.api().json<RemoteAnswer>('/api/query', { method: 'POST', body: { sql, limit } });
  } catch (e) {
    if (!(e instanceof CliError) || e.details.status !== 400) throw e;
    if (namesRemoteTable(e.details.detail)) return atSource();
    // Not DuckDB SQL: maybe the source's own (GoogleSQL's `project.dataset.table`). Tried there
    // when the server has such a source; otherwise, or when the source refuses it too, DuckDB's error stands.
    if (isSyntaxError(e.details.detail)) {
      try {
        return await atSource();
      } catch (atSourceError) {
        if (atSourceError instanceof CliError && noSourceQueries(atSourceError.details.detail)) throw e;
        throw new CliError(e.kind, e.message, { ...e.details, hint: `not DuckDB SQL, and at the source: ${(atSourceError as Error).message}` });
      }
    }
    throw e;
  }
}

/** The detail of /api/query's answer to text DuckDB could not parse (where it stopped, and why). */
function isSyntaxError(detail: unknown): boolean {
  return typeof detail === 'object' && detail !== null && 'engine_message' in detail && 'position' in detail;
}

/** The detail of /api/query/remote's answer when no source of the instance queries at the source. */
function noSourceQueries(detail: unknown): boolean {
  const sources = typeof detail === 'object' && detail !== null ? (detail as { sources?: unknown }).sources : undefined;
  return Array.isArray(sources) && sources.length === 0;
}

/** The detail of /api/query's answer to a query naming a table whose rows stay at its source. */
function namesRemoteTable(detail: unknown): boolean {
  return typeof detail === 'object' && detail !== null && (detail as { query_mode?: unknown }).query_mode === 'remote';
}

/** The rows of a table that fit on a terminal `rows` high (undefined: not a terminal). */
function screenful(rows: number | undefined): number | undefined {
  if (rows === undefined) return undefined;
  return rows > 0 ? Math.min(DEFAULT_LIMIT, Math.max(5, rows - RESERVED_LINES)) : FALLBACK_SCREEN_ROWS;
}

const count = (n: number) => n.toLocaleString('en-US');
