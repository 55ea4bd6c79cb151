import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { z } from 'zod';
import { assertIdentifier, InputError, NotFoundError, param, queryRows, sqlString, type JobRegistry, type RouteDefinition } from '@aida/core';
import { MalformedFileError } from '../errors.js';
import { receiveUpload } from '../http/upload.js';
import type { LocalFilesConfig } from './config.js';
import { describeReadError } from './connector.js';

const FORMATS = { csv: 'csv', parquet: 'parquet' } as const;
const uploadParams = z.object({
  source: z.string().meta({ description: 'A local source of this instance, as config names it' }),
  table: z.string().meta({ description: 'The table the file becomes (a valid identifier)' }),
});
const uploadedTable = z.object({
  source: z.string(),
  table: z.string(),
  format: z.enum(['csv', 'parquet']),
  rows: z.number().int(),
  size_bytes: z.number().int(),
  sync: z.literal('queued'),
});
type Format = keyof typeof FORMATS;

/**
 * `POST /api/local-files/sources/{source}/tables/{table}` (admin): a CSV or Parquet file
 * becomes (or replaces) a table of a local source. The file is checked with DuckDB before it
 * replaces anything: a malformed CSV is a 400 naming the line, an oversize upload a 413, and
 * on any failure the previous file stays. A sync of the source is queued on success.
 */
export function uploadRoute(config: LocalFilesConfig, jobs: JobRegistry): RouteDefinition {
  return {
    method: 'POST',
    path: '/api/local-files/sources/:source/tables/:table',
    access: { role: 'admin' },
    summary: 'Upload a CSV or Parquet file as a table of a local source',
    input: { params: uploadParams, file: 'The CSV or Parquet file (or say ?format=csv|parquet)' },
    output: {
      status: 201,
      body: uploadedTable,
      errors: { 404: 'No such local source, or its folder is missing', 413: 'Larger than max_upload_mb' },
      throws: [MalformedFileError],
    },
    async handler(ctx) {
      const params = param(ctx, uploadParams);
      const source = config.sources.find((s) => s.name === params.source);
      if (!source) throw new NotFoundError(`No local source '${params.source}'; configured: ${config.sources.map((s) => s.name).join(', ')}`);
      const table = assertIdentifier(params.table, 'table name');
      const folder = resolve(source.path);
      if (!existsSync(folder)) throw new NotFoundError(`The folder of source '${source.name}' does not exist`);
      const upload = await receiveUpload(ctx, { dir: folder, maxBytes: config.max_upload_mb * 1024 * 1024 });
      try {
        const format = formatOf(upload.filename, upload.mimeType, typeof ctx.query.format === 'string' ? ctx.query.format : undefined);
        const rows = await check(upload.path, format, `${table}.${format}`);
        const target = join(folder, `${table}.${format}`);
        await rename(upload.path, target);
        // A table is one file: an upload in the other format replaces it too.
        for (const other of Object.keys(FORMATS)) if (other !== format) await rm(join(folder, `${table}.${other}`), { force: true });
        await jobs.now('sync', { source: source.name });
        ctx.status = 201;
        ctx.body = { source: source.name, table, format, rows, size_bytes: upload.size, sync: 'queued' };
      } finally {
        await rm(upload.path, { force: true });
      }
    },
  };
}

function formatOf(filename: string | undefined, mime: string, asked: string | undefined): Format {
  const fromName = filename ? extname(filename).slice(1).toLowerCase() : '';
  const guess = asked ?? (fromName in FORMATS ? fromName : /csv/.test(mime) ? 'csv' : /parquet/.test(mime) ? 'parquet' : '');
  if (!(guess in FORMATS)) throw new InputError('Upload a .csv or .parquet file (or say ?format=csv|parquet)');
  return guess as Format;
}

/** Reads the whole file once with DuckDB; returns its row count or throws a 400 naming the problem. */
async function check(path: string, format: Format, shownAs: string): Promise<number> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const reader =
      format === 'csv'
        ? `read_csv(${sqlString(path)}, header = true, store_rejects = true, rejects_table = 'upload_rejects', rejects_scan = 'upload_rejects_scan')`
        : `read_parquet(${sqlString(path)})`;
    const [{ n }] = await queryRows<{ n: number }>(conn, `SELECT count(*) AS n FROM ${reader}`);
    if (format === 'csv') {
      const [bad] = await queryRows<{ line: number; error_message: string }>(conn, 'SELECT line, error_message FROM upload_rejects ORDER BY line LIMIT 1');
      if (bad) throw new MalformedFileError(`${shownAs}, line ${bad.line}: ${bad.error_message}`, { detail: { line: bad.line } });
    }
    return n;
  } catch (e) {
    if (e instanceof InputError) throw e;
    const msg = describeReadError(shownAs, e as Error);
    throw new MalformedFileError(format === 'parquet' ? `${shownAs} is not a readable Parquet file: ${msg}` : msg);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
