import { join } from 'node:path';
import type { Context } from 'koa';
import { z } from 'zod';
import { body, type RouteDefinition } from '@aida/core';
import {
  ClientGoneError,
  DailyByteCapExceededError,
  HybridAliasInvalidError,
  HybridAliasTooLargeError,
  QueryLimitTooHighError,
  QueryTimeoutError,
  RemoteConcurrencyLimitError,
  RemoteScanTooLargeError,
  RemoteSourceAmbiguousError,
  RemoteSourceFailedError,
  RemoteSourceUnknownError,
  RemoteTableUnregisteredError,
  TableForbiddenError,
  TableRemoteError,
} from '../../errors.js';
import { auditBytes } from '../../identity/audit.js';
import type { DataContext } from '../context.js';
import { resultTooLarge } from '../query/json.js';
import type { QueryRunner } from '../query/runner.js';
import { hybridQueryResultSchema, remoteQueryResultSchema } from '../schemas.js';
import { RemoteQueries } from './guard.js';
import { HybridQueries } from './hybrid.js';
import { RemoteQuotas } from './quotas.js';

const sql = z.string({ error: 'sql is required: the statement to run, as a string' });
const limit = z.number({ error: 'limit must be a number of rows' }).int('limit must be a whole number of rows').min(0, 'limit cannot be negative').optional();
const source = z.string().min(1).optional().meta({ description: 'The source to run at; needed only when several connectors query at their source' });

const remoteSchema = z.object({ sql, limit, source }).strict();
const hybridSchema = z
  .object({
    sql,
    register_bq: z
      .record(z.string(), z.string({ error: 'each alias maps to the source SQL whose rows it holds, as a string' }), {
        error: 'register_bq must be an object: {alias: source SQL}',
      })
      .meta({ description: 'alias → the source SQL (GoogleSQL) whose rows the alias holds as a temporary table' }),
    limit,
    source,
  })
  .strict();

/** Errors both routes answer: the guards of a query at a source. */
const GUARDS = [
  RemoteSourceUnknownError,
  RemoteSourceAmbiguousError,
  RemoteScanTooLargeError,
  TableForbiddenError,
  RemoteTableUnregisteredError,
  DailyByteCapExceededError,
  RemoteConcurrencyLimitError,
  RemoteSourceFailedError,
  QueryLimitTooHighError,
  QueryTimeoutError,
  ClientGoneError,
] as const;

/**
 * `POST /api/query/remote` (the source's own SQL, run at the source) and `POST
 * /api/query/hybrid` (source rows as aliases, joined to local tables in DuckDB), both analyst+
 * and guarded by RemoteQueries: access to every table read, the per-query scan cap, the
 * caller's daily bytes and queries at once. Every call's audit row carries the bytes billed.
 */
export function remoteQueryRoutes(ctx: DataContext, runner: QueryRunner): RouteDefinition[] {
  const limits = runner.limits;
  const remote = new RemoteQueries(ctx, new RemoteQuotas(ctx.systemDb), limits.remoteTimeoutMs);
  const hybrid = new HybridQueries(ctx, remote, runner, join(ctx.dataDir, 'tmp', 'hybrid'));
  const rowsAsked = (asked: number | undefined): number => {
    const n = asked ?? limits.defaultLimit;
    if (n > limits.maxJsonLimit) {
      throw new QueryLimitTooHighError(`limit: at most ${limits.maxJsonLimit} rows can be returned`, {
        issues: [{ field: 'limit', message: `must be at most ${limits.maxJsonLimit}` }],
      });
    }
    return n;
  };
  return [
    {
      method: 'POST',
      path: '/api/query/remote',
      access: { role: 'analyst' },
      summary: "Run one query at the source, in its SQL (GoogleSQL for BigQuery), over the source's tables you may read",
      input: { body: remoteSchema },
      output: { body: remoteQueryResultSchema, throws: GUARDS },
      async handler(c) {
        const b = body(c, remoteSchema);
        const user = c.state.user!;
        const answer = await remote.run(user, {
          sql: b.sql,
          limit: rowsAsked(b.limit),
          source: b.source,
          signal: clientGone(c),
          onBilled: (n) => auditBytes(c.state, n),
        });
        const text = JSON.stringify({
          columns: answer.columns,
          rows: answer.rows,
          row_count: answer.rows.length,
          truncated: answer.truncated,
          bytes_scanned: answer.bytesScanned,
        });
        if (text.length > limits.maxJsonChars) throw resultTooLarge(limits, 0, 'ask for fewer rows or columns');
        c.set('Cache-Control', 'no-store');
        c.type = 'application/json';
        c.body = text;
      },
    },
    {
      method: 'POST',
      path: '/api/query/hybrid',
      access: { role: 'analyst' },
      summary: 'Register source query results as aliases and run one read-only DuckDB SELECT over them and the analytics tables you may read',
      input: { body: hybridSchema },
      output: { body: hybridQueryResultSchema, throws: [...GUARDS, HybridAliasInvalidError, HybridAliasTooLargeError, TableRemoteError] },
      async handler(c) {
        const b = body(c, hybridSchema);
        const text = await hybrid.run(c.state.user!, {
          sql: b.sql,
          aliases: b.register_bq,
          limit: rowsAsked(b.limit),
          source: b.source,
          signal: clientGone(c),
          onBilled: (n) => auditBytes(c.state, n),
        });
        c.set('Cache-Control', 'no-store');
        c.type = 'application/json';
        c.body = text;
      },
    },
  ];
}

/** Aborts when the client hangs up before its answer is sent: the source query is stopped. */
function clientGone(c: Context): AbortSignal {
  const gone = new AbortController();
  c.res.once('close', () => {
    if (!c.res.writableFinished) gone.abort();
  });
  return gone.signal;
}
