import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Context } from 'koa';
import { InputError, PayloadTooLargeError } from '@aida/core';

export interface ReceivedFile {
  /** Temp file holding the bytes; the caller renames or removes it. */
  path: string;
  /** The name the client gave (base name only), or undefined for a raw body. */
  filename: string | undefined;
  mimeType: string;
  size: number;
  /** Other multipart fields. */
  fields: Record<string, string>;
}

export interface ReceiveOptions {
  /** Folder for the temp file; rename it within the same folder (or file system) afterwards. */
  dir: string;
  maxBytes: number;
  /** Multipart field that carries the file (default `file`). */
  field?: string;
}

/**
 * Streams an uploaded file to a temp file without holding it in memory: a multipart form's
 * `file` field, or the raw request body for any other content type. Over `maxBytes` the
 * upload is cut off, the temp file removed and a 413 thrown; nothing else is touched.
 */
export async function receiveUpload(ctx: Context, opts: ReceiveOptions): Promise<ReceivedFile> {
  const declared = Number(ctx.get('content-length'));
  if (Number.isFinite(declared) && declared > opts.maxBytes + 64 * 1024) throw tooLarge(opts.maxBytes);
  await mkdir(opts.dir, { recursive: true });
  const path = join(opts.dir, `.upload-${randomBytes(8).toString('hex')}`);
  try {
    if (ctx.is('multipart')) return { path, ...(await fromMultipart(ctx, path, opts, (await import('busboy')).default)) };
    const size = await save(ctx.req, path, opts.maxBytes);
    if (size === 0) throw new InputError('The request body is empty: send the file as the body or as the "file" field of a multipart form');
    return { path, filename: undefined, mimeType: ctx.get('content-type') || 'application/octet-stream', size, fields: {} };
  } catch (e) {
    await rm(path, { force: true });
    throw e;
  }
}

function tooLarge(max: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`The upload is larger than the limit of ${Math.round(max / 1024 / 1024)} MB`, { detail: { max_bytes: max } });
}

/**
 * Copies `source` into `path` with backpressure. Over `max` it stops writing and lets the
 * source drain (without destroying it: for a request that would kill the socket before the
 * 413 is sent).
 */
function save(source: Readable, path: string, max: number): Promise<number> {
  const out = createWriteStream(path);
  let size = 0;
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
    };
    const fail = (e: unknown) => {
      cleanup();
      out.destroy();
      source.resume();
      reject(e);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) return fail(tooLarge(max));
      if (!out.write(chunk)) {
        source.pause();
        out.once('drain', () => source.resume());
      }
    };
    const onEnd = () => {
      cleanup();
      out.end(() => resolve(size));
    };
    const onError = (e: unknown) => fail(e);
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', onError);
    out.once('error', onError);
  });
}

function fromMultipart(ctx: Context, path: string, opts: ReceiveOptions, busboy: typeof import('busboy')): Promise<Omit<ReceivedFile, 'path'>> {
  const field = opts.field ?? 'file';
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let saved: Promise<number> | undefined;
    let meta: { filename: string | undefined; mimeType: string } | undefined;
    let bb: import('busboy').Busboy;
    try {
      bb = busboy({ headers: ctx.req.headers, limits: { files: 1, fields: 50, fieldSize: 64 * 1024 } });
    } catch (e) {
      reject(new InputError(`Malformed multipart request: ${(e as Error).message}`));
      return;
    }
    bb.on('field', (name, value) => (fields[name] = value));
    bb.on('file', (name, stream, info) => {
      if (name !== field || saved) {
        stream.resume();
        return;
      }
      meta = { filename: info.filename ? basename(info.filename) : undefined, mimeType: info.mimeType };
      saved = save(stream, path, opts.maxBytes);
      saved.catch((e: unknown) => {
        // Stop parsing, but drain the rest so the client can read the error instead of a reset.
        ctx.req.unpipe(bb);
        ctx.req.resume();
        reject(e);
      });
    });
    bb.on('error', (e) => reject(new InputError(`Malformed multipart request: ${(e as Error).message}`)));
    bb.on('close', () => {
      if (!saved || !meta) {
        reject(new InputError(`No "${field}" file in the multipart form`));
        return;
      }
      const m = meta;
      saved.then((size) => resolve({ ...m, size, fields }), reject);
    });
    ctx.req.pipe(bb);
  });
}
