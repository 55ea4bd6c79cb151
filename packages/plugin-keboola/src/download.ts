// Getting an exported file onto local disk: a non-sliced file from its signed URL, a sliced
// one by reading its manifest and fetching every slice from the stack's storage with bounded
// parallelism. Provider details live in slice-storage.ts, the byte streaming in stream-to-file.ts.
import { join } from 'node:path';
import type { CallContext, ClientRuntime, DownloadedExport, KeboolaFile } from './client-types.js';
import { openUrl, timeBounded, transportError } from './http.js';
import { KeboolaMalformedResponseError } from './errors.js';
import { withRetries } from './retry.js';
import { sliceOpener } from './slice-storage.js';
import { fetchToFile } from './stream-to-file.js';
import { mapLimit } from '@aida/core';

/**
 * Downloads an exported file into `dir` as decompressed CSV: a non-sliced file from its signed
 * URL, a sliced one slice by slice (bounded parallelism) from the stack's storage.
 */
export async function downloadExport(file: KeboolaFile, dir: string, ctx: CallContext, rt: ClientRuntime): Promise<DownloadedExport> {
  const { redact } = rt;
  if (!file.isSliced) {
    const path = join(dir, 'file-000000.csv');
    const bytes = await fetchToFile(`file ${file.id}`, path, ctx, (signal) => openUrl(file.url, {}, signal, redact), rt);
    return { fileId: file.id, sliced: false, paths: [path], bytes };
  }
  const manifest = await fetchManifest(file, ctx, rt);
  const open = sliceOpener(file, rt);
  const paths = manifest.map((_u, i) => join(dir, `slice-${String(i).padStart(6, '0')}.csv`));
  let bytes = 0;
  try {
    await mapLimit(manifest, rt.options.maxParallelSlices, async (url, i) => {
      const n = await fetchToFile(`slice ${i + 1}/${manifest.length} of file ${file.id}`, paths[i], ctx, (signal) => open.get(url, signal), rt);
      bytes += n;
    });
  } finally {
    open.close();
  }
  return { fileId: file.id, sliced: true, paths, bytes };
}

/** The slice URLs a sliced file's manifest (at its signed URL) lists, in order. */
async function fetchManifest(file: KeboolaFile, ctx: CallContext, rt: ClientRuntime): Promise<string[]> {
  const o = rt.options;
  const { redact } = rt;
  const what = `manifest of file ${file.id}`;
  const text = await withRetries(
    what,
    async () => {
      try {
        return await timeBounded([ctx.signal], o.timeouts.request, async (signal) => {
          const body = await openUrl(file.url, {}, signal, redact);
          const chunks: Buffer[] = [];
          for await (const c of body) chunks.push(Buffer.from(c as Uint8Array));
          return Buffer.concat(chunks).toString('utf8');
        });
      } catch (e) {
        throw transportError(what, e, ctx.signal, o.timeouts.request, redact);
      }
    },
    { policy: rt.policy, signal: ctx.signal, logger: ctx.logger ?? o.logger },
  );
  let manifest: { entries?: { url?: unknown }[] };
  try {
    manifest = JSON.parse(text) as typeof manifest;
  } catch {
    throw new KeboolaMalformedResponseError(`${what} is not JSON`);
  }
  if (!Array.isArray(manifest.entries) || manifest.entries.some((e) => typeof e?.url !== 'string')) {
    throw new KeboolaMalformedResponseError(`${what} has no entries[].url list`);
  }
  return manifest.entries.map((e) => e.url as string);
}
