// The diff between the server's manifest and the workspace: which files are missing, changed
// or corrupt and must be fetched, which tables are gone from the manifest (no longer
// readable, deleted, unsubscribed) and must leave the laptop, and which are current.
import { statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { usageError } from '../errors.js';
import { tableFile, type Workspace } from '../workspace.js';
import { checkFor, fileDigest, type FileCheck } from './hash.js';
import { isSafeTableId, manifestFiles, type Manifest, type ManifestTable } from './manifest.js';
import type { LocalFile, SyncState } from './state.js';
import { mapLimit } from '@aida/core/light';

export type FetchReason = 'new' | 'changed' | 'missing' | 'corrupt';

export interface FileJob {
  table: string;
  part?: string;
  /** Relative to the workspace root. */
  path: string;
  /** The manifest's MD5: the file's identity (part file name, If-Range). */
  hash: string;
  /** What the downloaded bytes must hash to. */
  check: FileCheck;
  size: number;
  reason: FetchReason;
}

export interface TablePlan {
  id: string;
  entry: ManifestTable;
  /** Files already in place and verified (by quick check or by hash). */
  current: LocalFile[];
  fetch: FileJob[];
}

/** Why a table leaves the workspace: the manifest does not list it, or lists it under an unusable id. */
export type RemovalReason = 'not_in_manifest' | 'unsafe_id';

export interface Removal {
  table: string;
  reason: RemovalReason;
}

export interface SyncPlan {
  tables: TablePlan[];
  /** Tables the workspace holds that the manifest no longer lists (or that cannot be kept safely). */
  remove: Removal[];
  /** Ids the manifest holds that cannot be stored safely (skipped with a warning). */
  skipped: string[];
}

/**
 * `local` are the tables the workspace holds (by default the state's); when the workspace
 * was synced from another server, the caller passes those so they are removed too.
 */
export async function planSync(
  ws: Workspace,
  manifest: Manifest,
  state: SyncState,
  only?: string[],
  local: string[] = Object.keys(state.tables),
): Promise<SyncPlan> {
  const ids = Object.keys(manifest.tables).sort();
  const listed = (id: string) => Object.hasOwn(manifest.tables, id);
  if (only?.length) {
    const missing = only.filter((t) => !listed(t));
    if (missing.length) {
      throw usageError(
        `${missing.map((t) => `'${t}'`).join(', ')} not in your sync manifest`,
        'the table does not exist, you may not read it, or your sync settings leave it out (da status lists what you can sync)',
      );
    }
  }
  const safe = (id: string) => isSafeTableId(id, manifest.tables[id]);
  const skipped = ids.filter((id) => !safe(id));
  const scope = ids.filter((id) => safe(id) && (!only?.length || only.includes(id)));
  const tables = await mapLimit(scope, 8, (id) => planTable(ws, id, manifest.tables[id], state));
  const remove = only?.length
    ? []
    : [...new Set(local)]
        .filter((id) => !listed(id) || !safe(id))
        .sort()
        .map((table): Removal => ({ table, reason: listed(table) ? 'unsafe_id' : 'not_in_manifest' }));
  return { tables, remove, skipped };
}

async function planTable(ws: Workspace, id: string, entry: ManifestTable, state: SyncState): Promise<TablePlan> {
  const known = new Map((Object.hasOwn(state.tables, id) ? state.tables[id].files : []).map((f) => [f.path, f]));
  const plan: TablePlan = { id, entry, current: [], fetch: [] };
  for (const f of manifestFiles(id, entry)) {
    const path = tableFile(id, f.part);
    const abs = join(ws.root, path);
    // A synchronous stat: ~1,000 of them were ~150 ms as promises (a thread hand-off each, an
    // Error built for each missing file) and ~10 ms like this (`--cpu-prof` of a second sync);
    // nothing else has to run meanwhile.
    const st = statOrNothing(abs);
    const was = known.get(path);
    const check = checkFor(f);
    const job = (reason: FetchReason) => plan.fetch.push({ table: id, part: f.part, path, hash: f.hash, check, size: f.size, reason });
    if (!st) {
      job(was ? 'missing' : 'new');
      continue;
    }
    if (was?.hash === f.hash && st.size === was.size && st.mtimeMs === was.mtime_ms) {
      plan.current.push(was);
      continue;
    }
    // Not what we left here (or we never recorded it): trust it only if its bytes say so.
    if (st.size === f.size && (await fileDigest(abs, check.algorithm)) === check.digest) {
      plan.current.push({ path, part: f.part, hash: f.hash, size: st.size, mtime_ms: st.mtimeMs });
      continue;
    }
    job(was?.hash === f.hash ? 'corrupt' : 'changed');
  }
  return plan;
}

/** The file's stat, or undefined when it is not there or cannot be read (it is fetched again). */
function statOrNothing(abs: string): Stats | undefined {
  try {
    return statSync(abs, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
