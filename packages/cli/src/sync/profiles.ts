// The column profiles `da sync` keeps in server/profiles.json (profiles-file.ts) for offline
// use: those the manifest lists as newer than the copies here, or missing here. They are asked for in bulk (POST
// /api/catalog/profiles, up to BULK at a time) as their tables land, while other files still
// download: one request per table was a third of a first sync of 1,000 tables (`--cpu-prof`).
// A host without the bulk route is asked table by table. Never asks the server to compute a
// profile; one that vanished meanwhile is counted as missing.
import type { Api } from '../api.js';
import { CliError } from '../errors.js';
import type { ProfilesFile, SavedProfile } from '../profiles-file.js';
import type { SyncState } from './state.js';

export interface ProfilesResult {
  saved: number;
  missing: number;
}

type Profile = SavedProfile;

/** Tables per bulk request (the host takes up to 1,000). */
const BULK = 250;

export class ProfileRefresh {
  private readonly result: ProfilesResult = { saved: 0, missing: 0 };
  private readonly tasks: Promise<void>[] = [];
  /** Why profiles were not refreshed; told by `finish`, after the progress bars are gone. */
  private readonly warnings: string[] = [];
  private pending: string[] = [];
  private readonly queued: (() => void)[] = [];
  private running = 0;
  /** Set once the host answered that it has no bulk route. */
  private oneByOne = false;

  constructor(
    private readonly api: Api,
    /** Where each profile fetched goes (written to disk by the caller, once). */
    private readonly file: ProfilesFile,
    /** Each saved profile's `profiled_at` is recorded in its table's entry. */
    private readonly state: SyncState,
    private readonly limit = 4,
  ) {}

  add(id: string): void {
    this.pending.push(id);
    if (this.pending.length >= BULK) this.flush();
  }

  /** Every profile added, saved or given up on. */
  async finish(warn: (message: string) => void): Promise<ProfilesResult> {
    this.flush();
    await Promise.all(this.tasks);
    for (const w of this.warnings) warn(w);
    return this.result;
  }

  private flush(): void {
    if (!this.pending.length) return;
    const ids = this.pending;
    this.pending = [];
    this.tasks.push(this.inSlot(() => this.fetchBulk(ids)));
  }

  /** Runs `task` once fewer than `limit` requests are out. */
  private async inSlot(task: () => Promise<void>): Promise<void> {
    if (this.running < this.limit) this.running++;
    else await new Promise<void>((go) => this.queued.push(go)); // the slot is handed over
    try {
      await task();
    } finally {
      const next = this.queued.shift();
      if (next) next();
      else this.running--;
    }
  }

  private async fetchBulk(ids: string[]): Promise<void> {
    if (this.oneByOne) return this.fetchEach(ids);
    try {
      const r = await this.api.json<{ profiles: Record<string, Profile>; missing: string[] }>('/api/catalog/profiles', {
        method: 'POST',
        body: { tables: ids },
        // A read: safe to ask again.
        retry: true,
      });
      for (const id of ids) {
        const profile = Object.hasOwn(r.profiles, id) ? r.profiles[id] : undefined;
        if (profile) this.save(id, profile);
        else this.result.missing++;
      }
    } catch (e) {
      // A host older than the bulk route.
      if (e instanceof CliError && (e.details.status === 404 || e.details.status === 405)) {
        this.oneByOne = true;
        return this.fetchEach(ids);
      }
      this.warnings.push(`profiles of ${ids.length} tables not refreshed: ${(e as Error).message}`);
    }
  }

  private async fetchEach(ids: string[]): Promise<void> {
    for (const id of ids) {
      try {
        this.save(id, await this.api.json<Profile>(`/api/catalog/profile/${encodeURIComponent(id)}?compute=false`));
      } catch (e) {
        if (e instanceof CliError && e.details.status === 404) this.result.missing++;
        else this.warnings.push(`profile of '${id}' not refreshed: ${(e as Error).message}`);
      }
    }
  }

  private save(id: string, profile: Profile): void {
    this.file.set(id, profile);
    const entry = Object.hasOwn(this.state.tables, id) ? this.state.tables[id] : undefined;
    if (entry && profile.profiled_at) entry.profiled_at = profile.profiled_at;
    this.result.saved++;
  }
}
