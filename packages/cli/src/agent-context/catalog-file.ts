// server/catalog.json: what the server's catalog says about the synced tables (description,
// source, bucket), saved by `da sync` so that `da mcp` and the agent context file have it
// offline. The manifest names the source; GET /api/catalog/tables the rest.
import { join } from 'node:path';
import { z } from 'zod';
import type { Api } from '../api.js';
import { readJsonFile, writeFileAtomic } from '../atomic-file.js';
import type { Manifest } from '../sync/manifest.js';
import type { Workspace } from '../workspace.js';

const entry = z.object({
  description: z.string().nullable(),
  source: z.string().nullable(),
  source_type: z.string().nullable(),
  bucket: z.string().nullable(),
});
const catalogFile = z.object({ version: z.literal(1), tables: z.record(z.string(), entry) });

export type CatalogEntry = z.infer<typeof entry>;
export type SavedCatalog = z.infer<typeof catalogFile>;

/** What GET /api/catalog/tables answers, the fields used here. */
const catalogAnswer = z.object({
  tables: z.array(z.looseObject({ id: z.string(), description: z.string().nullish(), source_type: z.string().nullish(), bucket: z.string().nullish() })),
});

export const catalogPath = (ws: Workspace) => join(ws.root, 'server', 'catalog.json');

/** The saved catalog; an empty one when there is none or it cannot be read (it is only descriptive). */
export async function readSavedCatalog(ws: Workspace): Promise<SavedCatalog> {
  const raw = await readJsonFile(catalogPath(ws)).catch(() => undefined);
  const parsed = catalogFile.safeParse(raw);
  return parsed.success ? { ...parsed.data, tables: Object.assign(Object.create(null) as SavedCatalog['tables'], parsed.data.tables) } : emptyCatalog();
}

function emptyCatalog(): SavedCatalog {
  return { version: 1, tables: Object.create(null) as SavedCatalog['tables'] };
}

/** The catalog's answer, asked for early by `da sync` (while it fetches the manifest) and read here. */
export function fetchCatalog(api: Api): Promise<unknown> {
  return api.json<unknown>('/api/catalog/tables');
}

/**
 * Fetches the catalog (or takes `fetched`, fetchCatalog's answer) and saves the entries of the
 * manifest's tables (written only when they changed). When the catalog cannot be fetched, the
 * saved copy stays and the failure is returned.
 */
export async function refreshSavedCatalog(
  api: Api,
  ws: Workspace,
  manifest: Manifest,
  fetched?: Promise<unknown>,
): Promise<{ catalog: SavedCatalog; error?: string }> {
  const saved = await readSavedCatalog(ws);
  let answer: z.infer<typeof catalogAnswer>;
  try {
    answer = catalogAnswer.parse(await (fetched ?? fetchCatalog(api)));
  } catch (e) {
    return { catalog: saved, error: (e as Error).message };
  }
  const byId = new Map(answer.tables.map((t) => [t.id, t]));
  const next = emptyCatalog();
  for (const id of Object.keys(manifest.tables).sort()) {
    const t = byId.get(id);
    next.tables[id] = {
      description: t?.description?.trim() || null,
      source: manifest.tables[id].source ?? null,
      source_type: t?.source_type ?? null,
      bucket: t?.bucket ?? null,
    };
  }
  const text = JSON.stringify(next);
  if (text !== JSON.stringify(saved)) await writeFileAtomic(catalogPath(ws), text);
  return { catalog: next };
}
