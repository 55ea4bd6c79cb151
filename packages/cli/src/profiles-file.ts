// The column profiles `da sync` keeps for offline use (`da explore`, `da mcp`, the agent
// context file): one file, server/profiles.json — `{ "format": 1, "profiles": { <table>: … } }`
// — read whole, changed in memory and written whole, atomically. One file, not one per table:
// creating 1,000 small files was about a fifth of a first sync of 1,000 tables here, and every
// reader read them back one by one. A workspace with the old server/profiles/<table>.json
// files is moved over on its first save (the folder is removed once the file is written).
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonFile, writeFileAtomic } from './atomic-file.js';
import { isSafeTableId } from './sync/manifest.js';
import type { Workspace } from './workspace.js';

const FORMAT = 1;

/** A saved profile as the server sent it (readers check its shape before they use it). */
export type SavedProfile = Record<string, unknown> & { profiled_at?: string };

export class ProfilesFile {
  private changed = false;

  private constructor(
    private readonly ws: Workspace,
    private readonly profiles: Map<string, SavedProfile>,
    /** The old per-table folder exists and is removed on save. */
    private legacy: boolean,
  ) {}

  /** The saved profiles (none when there is no file yet, or it is not one we wrote). */
  static async load(ws: Workspace): Promise<ProfilesFile> {
    const data = await readJsonFile(ws.profilesPath).catch(() => undefined);
    const saved = isProfilesData(data) ? new Map(Object.entries(data.profiles).filter(([id, p]) => isSafeTableId(id) && isObject(p))) : new Map();
    const names = await readdir(ws.legacyProfilesDir).catch(() => undefined);
    const file = new ProfilesFile(ws, saved as Map<string, SavedProfile>, names !== undefined);
    // Moved over only when there is no new file yet (a newer file wins over a leftover folder).
    if (names && data === undefined) {
      for (const name of names) {
        const id = name.endsWith('.json') ? name.slice(0, -5) : '';
        if (!isSafeTableId(id)) continue;
        const p = await readFile(join(ws.legacyProfilesDir, name), 'utf8')
          .then((t) => JSON.parse(t) as unknown)
          .catch(() => undefined);
        if (isObject(p)) file.profiles.set(id, p);
      }
      file.changed = true;
    }
    return file;
  }

  get(id: string): SavedProfile | undefined {
    return this.profiles.get(id);
  }

  get ids(): string[] {
    return [...this.profiles.keys()];
  }

  set(id: string, profile: SavedProfile): void {
    this.profiles.set(id, profile);
    this.changed = true;
  }

  delete(id: string): void {
    if (this.profiles.delete(id)) this.changed = true;
  }

  /** Writes the file if anything changed (and removes the old per-table folder once it is written). */
  async save(): Promise<void> {
    if (this.changed) {
      await writeFileAtomic(this.ws.profilesPath, JSON.stringify({ format: FORMAT, profiles: Object.fromEntries(this.profiles) }));
      this.changed = false;
    }
    if (this.legacy) {
      await rm(this.ws.legacyProfilesDir, { recursive: true, force: true });
      this.legacy = false;
    }
  }
}

function isObject(x: unknown): x is SavedProfile {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isProfilesData(x: unknown): x is { format: number; profiles: Record<string, unknown> } {
  return isObject(x) && x.format === FORMAT && isObject(x.profiles);
}
