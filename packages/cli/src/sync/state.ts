// What the last `da sync` left in the workspace: per table the manifest hash and, per file,
// the hash, size and mtime it had when verified. Size + mtime is the quick check a second
// sync relies on; a file whose size or mtime moved is hashed again before it is trusted.
import { z } from 'zod';
import { readJsonFile, writeFileAtomic } from '../atomic-file.js';
import { dataError } from '../errors.js';

const localFile = z.object({ path: z.string(), part: z.string().optional(), hash: z.string(), size: z.number(), mtime_ms: z.number() });
const localTable = z.object({
  hash: z.string(),
  rows: z.number(),
  updated: z.string().nullable().optional(),
  files: z.array(localFile),
  /** When the server computed the profile saved in server/profiles.json (absent: none saved). */
  profiled_at: z.string().optional(),
});
const syncState = z.object({
  version: z.literal(1),
  server: z.string(),
  synced_at: z.string(),
  tables: z.record(z.string(), localTable),
  /** Files of user/ and CLAUDE.local.md already uploaded, per server, as they were then. */
  uploads: z.record(z.string(), z.record(z.string(), z.object({ hash: z.string(), size: z.number(), mtime_ms: z.number() }))).optional(),
});

export type LocalFile = z.infer<typeof localFile>;
export type LocalTable = z.infer<typeof localTable>;
export type SyncState = z.infer<typeof syncState>;
/** What the state records of an uploaded file: path → its MD5, size and mtime then. */
export type UploadedFiles = NonNullable<SyncState['uploads']>[string];

/** Table ids come from the server: kept in a prototype-less object, `constructor` is just a table. */
function tableRecord(from: SyncState['tables'] = {}): SyncState['tables'] {
  return Object.assign(Object.create(null) as SyncState['tables'], from);
}

export function emptyState(server: string): SyncState {
  return { version: 1, server, synced_at: '', tables: tableRecord() };
}

export async function loadState(path: string): Promise<SyncState | undefined> {
  let raw: unknown;
  try {
    raw = await readJsonFile(path);
  } catch (e) {
    throw dataError(`${path} is not valid JSON (${(e as Error).message})`, 'delete it; the next da sync verifies every file again');
  }
  if (raw === undefined) return undefined;
  const parsed = syncState.safeParse(raw);
  if (!parsed.success) throw dataError(`${path} is not a da sync state file`, 'delete it; the next da sync verifies every file again');
  return { ...parsed.data, tables: tableRecord(parsed.data.tables) };
}

export async function saveState(path: string, state: SyncState): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(state));
}
