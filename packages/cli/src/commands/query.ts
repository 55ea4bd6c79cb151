// da query "SQL": against the local analytics.duckdb by default (works offline, any statement:
// it is the analyst's own database), or through POST /api/query with --remote (one
// read-only SELECT, permission-checked and sandboxed by the server).
import { access } from 'node:fs/promises';
import type { Command } from 'commander';
import { action } from '../command.js';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import { openLocalDb, runLocalQuery, type QueryResult } from '../local-db.js';
import { readStdin } from '../prompt.js';
import { renderCsv, renderTable } from '../render.js';
import { jsonReplacer } from '../output.js';

interface QueryOptions {
  remote?: boolean;
  format?: string;
  limit?: string;
}

const FORMATS = ['table', 'json', 'csv'] as const;
type Format = (typeof FORMATS)[number];

export function registerQuery(program: Command): void {
  program
    .command('query')
    .description('Run SQL on the local DuckDB (default) or on the server (--remote)')
    .argument('<sql>', "the statement, or '-' to read it from stdin")
    .option('--remote', 'run on the server through the API')
    .option('-f, --format <format>', 'table | json | csv (default: table; json with --json)')
    .option('--limit <n>', 'rows to return; 0 for all (local only)', '1000')
    .action(action<QueryOptions, [string]>(query));
}

async function query(ctx: Context, o: QueryOptions, sqlArg: string): Promise<void> {
  const sql = (sqlArg === '-' ? await readStdin() : sqlArg).trim();
  if (!sql) throw usageError('No SQL given', `da query "SELECT * FROM orders LIMIT 10"`);
  const format = (o.format ?? (ctx.out.json ? 'json' : 'table')) as Format;
  if (!FORMATS.includes(format)) throw usageError(`Unknown format '${o.format}'`, `use one of ${FORMATS.join(', ')}`);
  if (ctx.out.json && format !== 'json') throw usageError(`--json prints JSON; it cannot go with -f ${format}`, 'drop one of them');
  const limit = Number(o.limit ?? 1000);
  if (!Number.isInteger(limit) || limit < 0) throw usageError(`--limit must be a whole number ≥ 0, not '${o.limit}'`);
  if (o.remote && limit === 0) throw usageError('--limit 0 (all rows) is for local queries', 'the server caps JSON answers; ask for a limit up to 100000');

  let result: QueryResult;
  if (o.remote) {
    result = await ctx.api().json<QueryResult>('/api/query', { method: 'POST', body: { sql, limit } });
  } else {
    // Never creates a workspace as a side effect of a query in the wrong folder.
    if (!(await access(ctx.ws.duckdbPath).then(() => true, () => false))) {
      throw usageError(`No local database in ${ctx.ws.root} (user/duckdb/analytics.duckdb)`, 'run da sync here first, set DA_LOCAL_DIR to your workspace, or use --remote');
    }
    const db = await openLocalDb(ctx.ws);
    try {
      result = await runLocalQuery(db, sql, limit);
    } finally {
      db.close();
    }
  }
  const names = result.columns.map((c) => c.name);
  if (format === 'csv') {
    ctx.out.raw(renderCsv(names, result.rows));
    if (result.truncated) ctx.out.warn(`only the first ${limit} rows were written; --limit 0 writes all of them`);
  }
  else if (format === 'json') ctx.out.raw(`${JSON.stringify({ ...result, source: o.remote ? 'remote' : 'local' }, jsonReplacer)}\n`);
  else {
    ctx.out.raw(`${renderTable(names, result.rows)}\n`);
    ctx.out.info(`${result.row_count} row(s)${result.truncated ? ` — truncated at ${limit}; use --limit` : ''}`);
  }
}
