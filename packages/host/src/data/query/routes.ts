import { join } from 'node:path';
import type { Context } from 'koa';
import { z } from 'zod';
import { body, type RouteDefinition } from '@aida/core';
import { QueryLimitTooHighError } from '../../errors.js';
import type { DataContext } from '../context.js';
import { remoteQueryRoutes } from '../remote/routes.js';
import { queryResultSchema } from '../schemas.js';
import { CONTENT_TYPES, type Format } from './formats.js';
import { DEFAULT_QUERY_LIMITS, QueryRunner, type QueryLimits } from './runner.js';

export interface QueryRouteOptions extends Partial<QueryLimits> {
  /** Where Parquet exports are staged; `<dataDir>/tmp/query` by default. */
  scratchDir?: string;
  /** Receives the runner (tests look at its limiter). */
  onRunner?: (runner: QueryRunner) => void;
}

const FORMATS = ['json', 'ndjson', 'csv', 'parquet'] as const;

const querySchema = z
  .object({
    sql: z.string({ error: 'sql is required: the SELECT statement to run, as a string' }),
    limit: z.number({ error: 'limit must be a number of rows' }).int('limit must be a whole number of rows').min(0, 'limit cannot be negative').optional(),
    format: z.enum(FORMATS, { error: `format must be one of ${FORMATS.join(', ')}` }).optional(),
  })
  .strict();

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** `Accept` → format, when the body names none. */
const ACCEPTED: Record<string, Format> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'text/csv': 'csv',
  'application/vnd.apache.parquet': 'parquet',
  'application/parquet': 'parquet',
};

function formatOf(c: Context, requested: Format | undefined): Format {
  if (requested) return requested;
  const best = c.accepts(...Object.keys(ACCEPTED));
  return typeof best === 'string' ? ACCEPTED[best] : 'json';
}

/**
 * POST /api/query: one read-only SELECT over the analytics database (API.md, Data and sync),
 * and beside it the queries at a source that share its runner (POST /api/query/remote, /hybrid).
 * Body `{sql, limit?, format?}`; the format may also come from `Accept`. JSON answers
 * `{columns: [{name, type}], rows: [[…]], row_count, truncated}` with at most `limit` rows
 * (default 1000, at most 100,000). NDJSON, CSV and Parquet stream the whole result unless a
 * `limit` is given (then at most that many rows, without a truncation flag).
 */
export function queryRoutes(ctx: DataContext, options: QueryRouteOptions = {}): RouteDefinition[] {
  const { scratchDir, onRunner, ...limits } = options;
  const settings: QueryLimits = { ...DEFAULT_QUERY_LIMITS, ...ctx.queryLimits, ...defined(limits) };
  const runner = new QueryRunner(ctx, settings, scratchDir ?? join(ctx.dataDir, 'tmp', 'query'));
  onRunner?.(runner);
  return [
    ...remoteQueryRoutes(ctx, runner),
    {
      method: 'POST',
      path: '/api/query',
      access: { role: 'analyst' },
      summary: 'Run one read-only SELECT over the analytics tables you may read (JSON, NDJSON, CSV or Parquet)',
      input: { body: querySchema },
      output: {
        body: queryResultSchema,
        media: ['application/x-ndjson', 'text/csv', 'application/vnd.apache.parquet'],
        description: 'The result as JSON (at most `limit` rows), or streamed in the format asked for',
      },
      async handler(c) {
        const b = body(c, querySchema);
        const format = formatOf(c, b.format);
        const user = c.state.user!;
        // A client that hangs up stops its query (the engine is interrupted, the slot freed).
        const gone = new AbortController();
        c.res.once('close', () => {
          if (!c.res.writableFinished) gone.abort();
        });
        c.set('Cache-Control', 'no-store');
        if (format === 'json') {
          const limit = b.limit ?? settings.defaultLimit;
          if (limit > settings.maxJsonLimit) {
            throw new QueryLimitTooHighError(`limit: at most ${settings.maxJsonLimit} rows can be returned as JSON; ask for format ndjson, csv or parquet to get more`, {
              issues: [{ field: 'limit', message: `must be at most ${settings.maxJsonLimit} for JSON` }],
            });
          }
          const text = await runner.json(user, b.sql, limit, gone.signal);
          c.type = CONTENT_TYPES.json;
          c.body = text;
          return;
        }
        if (format === 'parquet') {
          // Sent as the engine writes it: the row count is known at the end, so it comes as a
          // trailer (the body is chunked).
          const stream = await runner.parquet(user, b.sql, b.limit, (rows) => c.res.addTrailers({ 'X-Row-Count': String(rows) }), gone.signal);
          c.set('Trailer', 'X-Row-Count');
          c.set('Content-Disposition', 'attachment; filename="query.parquet"');
          c.body = stream;
          c.type = CONTENT_TYPES.parquet;
          return;
        }
        const stream = await runner.stream(user, b.sql, format, b.limit, gone.signal);
        if (format === 'csv') c.set('Content-Disposition', 'attachment; filename="query.csv"');
        c.body = stream;
        c.type = CONTENT_TYPES[format];
      },
    },
  ];
}
