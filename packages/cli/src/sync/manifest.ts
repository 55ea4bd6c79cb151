// The server's sync manifest (GET /api/sync/manifest): per table the MD5 of its Parquet
// bytes (or of its parts' MD5s), size and rows. Only tables the caller may read are listed.
import { z } from 'zod';
import type { Api } from '../api.js';
import { dataError } from '../errors.js';
import { PART_NAME } from '../workspace.js';

const part = z.object({ part: z.string(), hash: z.string(), sha256: z.string().optional(), size_bytes: z.number(), rows: z.number() });
const table = z.object({
  hash: z.string(),
  sha256: z.string().optional(),
  updated: z.string().nullable().optional(),
  size_bytes: z.number(),
  rows: z.number(),
  source: z.string().nullable().optional(),
  parts: z.array(part).optional(),
});
const assets = z.object({ profiles: z.record(z.string(), z.object({ profiled_at: z.string() })).optional() });
const manifest = z.object({ tables: z.record(z.string(), table), assets: assets.optional(), server_time: z.string().optional() });

export type ManifestTable = z.infer<typeof table>;
export type Manifest = z.infer<typeof manifest>;

/** Table ids become file and view names here: keep them to what the server's registry makes. */
const TABLE_ID = /^[a-z0-9_][a-z0-9_.$-]*$/;

/** A table whose id or part names cannot be files here is skipped (with a warning), never renamed. */
export function isSafeTableId(id: string, entry?: ManifestTable): boolean {
  return TABLE_ID.test(id) && !id.includes('..') && id.length <= 200 && (entry?.parts ?? []).every((p) => PART_NAME.test(p.part));
}

export async function fetchManifest(api: Api): Promise<Manifest> {
  const raw = await api.json<unknown>('/api/sync/manifest');
  const parsed = manifest.safeParse(raw);
  if (!parsed.success) throw dataError(`The server's sync manifest is not in the expected shape (${parsed.error.issues[0]?.message ?? 'unknown'})`);
  return parsed.data;
}

/** The files a manifest table consists of: its parts, or the one file. */
export function manifestFiles(id: string, t: ManifestTable): { part?: string; hash: string; sha256?: string; size: number }[] {
  if (t.parts?.length) return t.parts.map((p) => ({ part: p.part, hash: p.hash, sha256: p.sha256, size: p.size_bytes }));
  return [{ hash: t.hash, sha256: t.sha256, size: t.size_bytes }];
}
