import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { InputError, NotFoundError, param, query, type RouteDefinition } from '@aida/core';
import type { AnalyticsFile } from '../analytics/analytics-db.js';
import type { FileLeases } from '../analytics/file-leases.js';
import type { Reader } from './access.js';
import { RangeNotSatisfiableError, TableRemoteError } from '../errors.js';
import { remoteTable, remoteTableError } from './remote/remote-table.js';
import type { DataContext } from './context.js';

const downloadParams = z.object({ table: z.string().meta({ description: 'The table, as the manifest names it' }) });
const downloadQuery = z.object({ part: z.string().optional().meta({ description: 'One part of a partitioned table, as the manifest lists it' }) });

/**
 * `GET /api/data/{table}/download[?part=…]`: the table's Parquet file, streamed, with a strong
 * ETag (its MD5, recorded when the file was written — nothing is hashed per request),
 * `If-None-Match` → 304 and single `Range` requests → 206. Access is checked before
 * existence, so a forbidden table answers 403 whether or not it exists. The file is held from
 * the moment it is looked up until the response is over, and streamed from a descriptor opened
 * once (never a path looked up again), so a commit meanwhile never cuts the body short.
 */
export function downloadRoutes(ctx: DataContext): RouteDefinition[] {
  return [
    {
      method: 'GET', path: '/api/data/:table/download', access: { role: 'viewer' }, summary: 'Download a table (or one part) as Parquet',
      input: { params: downloadParams, query: downloadQuery },
      output: {
        media: ['application/vnd.apache.parquet'], description: 'The Parquet file',
        others: { 206: { description: 'The bytes of a single Range', media: ['application/vnd.apache.parquet'] }, 304: { description: 'Unchanged: the ETag matches If-None-Match' } },
        errors: { 400: 'A partitioned table needs ?part=…', 404: 'No such table or part' }, throws: [RangeNotSatisfiableError, TableRemoteError],
      },
      async handler(c) {
        const table = param(c, downloadParams).table.toLowerCase();
        // Looked up in the current generation, which holds the file; every step from here to
        // openHeld() runs in this same tick, so no collection can slip in between.
        const { part } = query(c, downloadQuery);
        const file = fileToSend(ctx, c.state.user!, table, part);

        const etag = `"${file.md5}"`;
        c.set('ETag', etag);
        c.set('Accept-Ranges', 'bytes');
        c.set('Cache-Control', 'private, no-cache');
        c.set('Last-Modified', new Date(file.written_at).toUTCString());
        c.set('X-Content-SHA256', file.sha256);
        if (matches(c.get('if-none-match'), etag)) {
          c.status = 304;
          return;
        }
        const name = part === undefined ? `${table}.parquet` : `${table}.${part}.parquet`;
        c.set('Content-Disposition', `attachment; filename="${name}"`);
        c.type = 'application/vnd.apache.parquet';

        const range = c.get('range');
        const ifRange = c.get('if-range');
        if (range && (!ifRange || ifRange === etag)) {
          const r = parseRange(range, file.size_bytes);
          if (r === 'unsatisfiable') {
            c.set('Content-Range', `bytes */${file.size_bytes}`);
            throw new RangeNotSatisfiableError(`Range ${range} is outside the file (${file.size_bytes} bytes)`);
          }
          if (r) {
            c.status = 206;
            c.set('Content-Range', `bytes ${r.start}-${r.end}/${file.size_bytes}`);
            c.length = r.end - r.start + 1;
            c.body = await openHeld(ctx.analytics.leases, file.path, r);
            return;
          }
        }
        c.length = file.size_bytes;
        c.body = await openHeld(ctx.analytics.leases, file.path, file.size_bytes > 0 ? { start: 0, end: file.size_bytes - 1 } : undefined);
      },
    },
  ];
}

/**
 * The file a download of `table` (or its `part`) sends, or the error it answers: access is
 * checked before existence, so a table the caller may not read is 403 whether or not it exists.
 */
export function fileToSend(ctx: DataContext, user: Reader, table: string, part: string | undefined): AnalyticsFile {
  ctx.access.assertCanRead(user, table);
  const files = ctx.analytics.files(table);
  if (!files.length) {
    const remote = remoteTable(ctx, table);
    if (remote) throw remoteTableError(ctx, remote, 'has no file to download');
    throw new NotFoundError(`No table '${table}'`);
  }
  if (files.length > 1 && part === undefined) {
    throw new InputError(`Table '${table}' is partitioned; download its parts (?part=…) as the manifest lists them`, {
      detail: { parts: files.map((f) => f.part) },
    });
  }
  const file = part === undefined ? files[0] : files.find((f) => f.part === part);
  if (!file) throw new NotFoundError(`Table '${table}' has no part '${part}'`);
  return file;
}

/**
 * Holds the file, opens it and streams from that descriptor; the hold ends when the stream
 * closes (finished, failed, or destroyed because the client went away). Once open, the bytes
 * stay readable even if the file were unlinked, but the hold means it is not while it is sent.
 */
async function openHeld(leases: FileLeases, path: string, range?: { start: number; end: number }): Promise<Readable> {
  const lease = leases.hold([path]);
  try {
    const handle = await open(path, 'r');
    // With an end, each read is sized to what is left (at most 1 MiB). Without one, every read
    // allocated a whole 1 MiB buffer, also for a 3 KB file and for the read that finds its end:
    // a first `da sync` of 1,000 small tables allocated ~2 GB of buffers, each 64 MB of which
    // set off a full garbage collection of the host's heap (perf: most of the host's CPU).
    const stream = handle.createReadStream({ start: range?.start, end: range?.end, highWaterMark: range ? Math.min(1 << 20, range.end - range.start + 1) : 1 << 20 });
    stream.once('close', () => lease.release());
    return stream;
  } catch (e) {
    lease.release();
    throw e;
  }
}

function matches(header: string, etag: string): boolean {
  if (!header) return false;
  return header.trim() === '*' || header.split(',').some((h) => h.trim().replace(/^W\//, '') === etag);
}

/** One `bytes=` range (several ranges are answered with the whole file, as RFC 9110 allows). */
function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}
