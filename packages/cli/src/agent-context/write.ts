// `da sync` writes .claude/rules/aida_data.md: the tables on this laptop for the analyst's
// agent (Claude Code loads every file of .claude/rules). The file is AIDA's only when it carries
// the header below; a file of that name without it is the analyst's and is never replaced. The
// header records a digest of everything the text is made from, so a sync that changed none of
// it (same tables, hashes, profiles, catalog) does not even open the database.
import { createHash } from 'node:crypto';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TableProfileFacts } from '@aida/core';
import type { Api } from '../api.js';
import { writeFileAtomic } from '../atomic-file.js';
import { openLocalDb, type LocalDb } from '../local-db.js';
import { ProfilesFile } from '../profiles-file.js';
import type { Manifest } from '../sync/manifest.js';
import { flatten, RULES_DIR } from '../sync/rules.js';
import type { Workspace } from '../workspace.js';
import { refreshSavedCatalog } from './catalog-file.js';
import type { ColumnsByTable } from './local-catalog.js';
import { loadLocalCatalog, type LocalCatalog } from './local-tables.js';
import type { ContextDetail } from './render.js';

export const CONTEXT_FILE = join(RULES_DIR, 'aida_data.md');
/** Default size limit of the file (Claude Code loads every rules file into each session's context). */
export const CONTEXT_BUDGET_BYTES = 60_000;
/** Bumped when the text's layout changes, so every workspace gets the new layout on its next sync. */
const FORMAT = 1;
const MARK = '<!-- AIDA data context written by da sync';

export interface ContextReport {
  /** Relative to the workspace root. */
  path: string;
  status: 'written' | 'updated' | 'unchanged' | 'kept_yours';
  tables: number;
  bytes: number;
  detail: ContextDetail | null;
  /** Why the catalog (descriptions) could not be refreshed; the saved copy was used. */
  catalog_error?: string;
}

/**
 * Refreshes server/catalog.json from the server, then brings the context file in line with the
 * workspace. Never fails the sync: a problem is warned about and reported.
 */
export async function refreshAgentContext(
  api: Api,
  ws: Workspace,
  manifest: Manifest,
  warn: (message: string) => void,
  o: ContextOptions = {},
): Promise<ContextReport | { path: string; error: string }> {
  try {
    const { error } = await refreshSavedCatalog(api, ws, manifest, o.catalog);
    if (error) warn(`table descriptions not refreshed (the saved ones are used): ${error}`);
    const report = await writeAgentContext(ws, o);
    if (report.status === 'kept_yours') warn(`${CONTEXT_FILE} was not written by da sync; it is left as it is (rename it to get AIDA's table list there)`);
    return error ? { ...report, catalog_error: error } : report;
  } catch (e) {
    warn(`${CONTEXT_FILE} not refreshed: ${(e as Error).message}`);
    return { path: CONTEXT_FILE, error: (e as Error).message };
  }
}

export interface ContextOptions {
  /** Bytes the file may take (default CONTEXT_BUDGET_BYTES). */
  budget?: number;
  /** The date in the header; today by default. */
  now?: Date;
  /** The local DuckDB when the caller has it open (`da sync`, right after making the views): not opened a second time. */
  db?: LocalDb;
  /** The catalog's answer when the caller asked for it already (catalog-file.ts's fetchCatalog). */
  catalog?: Promise<unknown>;
  /** The saved profiles when the caller has them loaded (`da sync`): not read again. */
  profiles?: ProfilesFile;
}

export async function writeAgentContext(ws: Workspace, o: ContextOptions = {}): Promise<ContextReport> {
  const path = join(ws.root, CONTEXT_FILE);
  const catalog = await loadLocalCatalog(ws);
  const base = { path: CONTEXT_FILE, tables: catalog.tables.length };
  const before = await readOwned(path);
  if (before === 'theirs') return { ...base, status: 'kept_yours', bytes: 0, detail: null };
  const budget = o.budget ?? CONTEXT_BUDGET_BYTES;
  const digest = inputsDigest(catalog, budget);
  if (before?.digest === digest) return { ...base, status: 'unchanged', bytes: Buffer.byteLength(before.text), detail: before.detail };
  // Nothing synced and no file yet: an empty list would only take room in the agent's context.
  if (!before && !catalog.tables.length) return { ...base, status: 'unchanged', bytes: 0, detail: null };

  // Only now the modules that need @aida/core (and its DuckDB): a sync that changed nothing
  // here stops above without loading them.
  const [{ localColumns, savedProfile }, { renderContext }] = await Promise.all([import('./local-catalog.js'), import('./render.js')]);
  const saved = o.profiles ?? (await ProfilesFile.load(ws));
  const profiles = new Map<string, TableProfileFacts>();
  for (const t of catalog.tables) {
    if (!t.profiled_at) continue;
    const p = savedProfile(saved, t.id);
    if (p) profiles.set(t.id, p);
  }
  const columns = await columnsOfViews(ws, catalog, localColumns, o.db);
  const from = flatten(catalog.server ?? 'no server', 300).replaceAll('>', '%3E');
  const day = (o.now ?? new Date()).toISOString().slice(0, 10);
  const header = (detail: ContextDetail) =>
    `${MARK} from ${from} on ${day} (${detail}, inputs ${digest}); edits here are overwritten, keep your notes in another file -->`;
  const { body, detail } = renderContext({ catalog, columns, profiles }, budget - Buffer.byteLength(header('some_names')) - 2);
  const text = `${header(detail)}\n\n${body.trimEnd()}\n`;
  await writeFileAtomic(path, text);
  return { ...base, status: before ? 'updated' : 'written', bytes: Buffer.byteLength(text), detail };
}

/** Columns of every table's view; none when there is no database yet. */
async function columnsOfViews(
  ws: Workspace,
  catalog: LocalCatalog,
  localColumns: (conn: LocalDb['conn']) => Promise<ColumnsByTable>,
  open?: LocalDb,
): Promise<ColumnsByTable> {
  if (!catalog.tables.length) return new Map();
  if (open) return localColumns(open.conn);
  const exists = await lstat(ws.duckdbPath).then(
    () => true,
    () => false,
  );
  if (!exists) return new Map();
  const db = await openLocalDb(ws);
  try {
    return await localColumns(db.conn);
  } finally {
    db.close();
  }
}

function inputsDigest(c: LocalCatalog, budget: number): string {
  const inputs = [FORMAT, budget, c.server, c.tables.map((t) => [t.id, t.hash, t.rows, t.updated, t.profiled_at ?? null, t.description, t.source, t.bucket])];
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
}

/** The file as AIDA wrote it (its digest and level), 'theirs' when someone else's file has the name, undefined when there is none. */
async function readOwned(path: string): Promise<{ digest: string; detail: ContextDetail; text: string } | 'theirs' | undefined> {
  let text: string;
  try {
    const s = await lstat(path);
    if (!s.isFile() && !s.isSymbolicLink()) return 'theirs';
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
  if (!text.startsWith(MARK)) return 'theirs';
  const m = / \((\w+), inputs ([0-9a-f]{16})\); edits here/.exec(text.slice(0, text.indexOf('\n')));
  return m ? { detail: m[1] as ContextDetail, digest: m[2], text } : { detail: 'full', digest: '', text };
}
