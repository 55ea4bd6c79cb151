/**
 * `POST /api/sync/download`: many tables' Parquet files in one response, for clients that sync
 * many small tables (`da sync`). A request per file cost each side more than the file: a first
 * sync of 1,000 small tables took ~1.4 s with plain requests, most of it per-request work (the
 * middleware, the token check, a connection's turn). The body is a sequence of records, each a
 * JSON header line and then, for a file, exactly `size` bytes:
 *
 *   {"table":"orders","part":null,"size":1234,"md5":"…","sha256":"…"}\n<1234 bytes>
 *   {"table":"secret","part":null,"error":{"status":403,"code":"…","message":"…"}}\n
 *   {"end":true,"files":1}\n
 *
 * A file that cannot be sent gets an error record (what `GET /api/data/{table}/download`
 * would answer, fileToSend); the last line says the answer is complete. Every file is held from the moment
 * it is looked up until the response is over, as for single downloads.
 */
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { body, isAidaError, type RouteDefinition } from '@aida/core';
import type { AnalyticsFile } from '../analytics/analytics-db.js';
import type { DataContext } from './context.js';
import { fileToSend } from './download.js';

/** Files per request: enough to make a request's own cost small, few enough to bound one answer. */
export const MAX_BULK_FILES = 1000;

const bulkSchema = z.object({
  files: z
    .array(z.object({ table: z.string().min(1), part: z.string().optional() }))
    .min(1)
    .max(MAX_BULK_FILES)
    .meta({ description: `The tables (and parts of partitioned ones) to send, at most ${MAX_BULK_FILES}` }),
});

export const BULK_MEDIA = 'application/vnd.aida.files';

type Planned = { table: string; part: string | null; file: AnalyticsFile } | { table: string; part: string | null; error: { status: number; code: string; message: string } };

export function bulkDownloadRoutes(ctx: DataContext): RouteDefinition[] {
  return [
    {
      method: 'POST',
      path: '/api/sync/download',
      access: { role: 'viewer' },
      summary: 'Download many tables (or parts) in one response',
      input: { body: bulkSchema },
      output: {
        media: [BULK_MEDIA],
        description:
          'Per file a JSON header line ({table, part, size, md5, sha256} or {table, part, error}) followed by its bytes; the last line is {"end": true, "files": n}',
      },
      async handler(c) {
        const { files } = body(c, bulkSchema);
        const user = c.state.user!;
        // Looked up and held in this one tick, as the single download does: no collection can
        // slip in between.
        const planned = files.map(({ table, part }): Planned => {
          const id = table.toLowerCase();
          try {
            return { table: id, part: part ?? null, file: fileToSend(ctx, user, id, part) };
          } catch (e) {
            if (!isAidaError(e)) throw e;
            return { table: id, part: part ?? null, error: { status: e.status, code: e.code, message: e.message } };
          }
        });
        const lease = ctx.analytics.leases.hold(planned.flatMap((p) => ('file' in p ? [p.file.path] : [])));
        const stream = Readable.from(records(planned), { objectMode: false, highWaterMark: 1 << 20 });
        stream.once('close', () => lease.release());
        c.set('Cache-Control', 'no-store');
        c.type = BULK_MEDIA;
        c.body = stream;
      },
    },
  ];
}

async function* records(planned: Planned[]): AsyncGenerator<Buffer> {
  let sent = 0;
  for (const p of planned) {
    if ('error' in p) {
      yield line({ table: p.table, part: p.part, error: p.error });
      continue;
    }
    const { file } = p;
    yield line({ table: p.table, part: p.part, size: file.size_bytes, md5: file.md5, sha256: file.sha256 });
    if (file.size_bytes > 0) {
      const handle = await open(file.path, 'r');
      try {
        // Sized to the file, as single downloads read (download.ts).
        yield* handle.createReadStream({ start: 0, end: file.size_bytes - 1, highWaterMark: Math.min(1 << 20, file.size_bytes), autoClose: false });
      } finally {
        await handle.close();
      }
    }
    sent++;
  }
  yield line({ end: true, files: sent });
}

function line(record: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(record)}\n`);
}
