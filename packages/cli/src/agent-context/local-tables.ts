// The tables on this laptop as the sync state and server/catalog.json list them — what `da mcp`
// lists and what the agent context file's digest is made of. Apart from local-catalog.ts (column
// facts, which need @aida/core and its DuckDB): a second `da sync` with nothing changed
// decides from these alone that the context file is current, and a `--cpu-prof` showed loading
// @aida/core as ~40 % of such a sync.
import type { McpTableSummary } from '@aida/core';
import { loadState } from '../sync/state.js';
import type { Workspace } from '../workspace.js';
import { readSavedCatalog } from './catalog-file.js';

export interface LocalTable extends McpTableSummary {
  source_type: string | null;
  /** When the saved profile was computed (undefined: none saved). */
  profiled_at?: string;
  /** The manifest hash of the synced data: what a listing's cursor is tied to. */
  hash: string;
}

export interface LocalCatalog {
  /** The server the workspace was synced from (null: never synced). */
  server: string | null;
  synced_at: string | null;
  /** Sorted by id. */
  tables: LocalTable[];
}

export async function loadLocalCatalog(ws: Workspace): Promise<LocalCatalog> {
  const state = await loadState(ws.statePath);
  if (!state) return { server: null, synced_at: null, tables: [] };
  const saved = await readSavedCatalog(ws);
  const tables = Object.entries(state.tables)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, t]): LocalTable => {
      const c = saved.tables[id];
      return {
        id,
        description: c?.description ?? null,
        source: c?.source ?? null,
        source_type: c?.source_type ?? null,
        bucket: c?.bucket ?? null,
        rows: t.rows,
        updated: t.updated ?? null,
        hash: t.hash,
        ...(t.profiled_at ? { profiled_at: t.profiled_at } : {}),
      };
    });
  return { server: state.server, synced_at: state.synced_at || null, tables };
}

/** A listing's version: changes whenever a sync changes what the listing shows. */
export function catalogVersion(c: LocalCatalog): string {
  return JSON.stringify(c.tables.map((t) => [t.id, t.hash, t.description, t.bucket]));
}

/** The summary list_tables shows (without the laptop's bookkeeping). */
export function summary(t: LocalTable): McpTableSummary {
  return { id: t.id, description: t.description, source: t.source, bucket: t.bucket, rows: t.rows, updated: t.updated };
}
