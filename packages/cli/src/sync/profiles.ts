// The column profiles `da sync` saves in server/profiles for `da explore` offline: those the
// manifest lists as newer than the copies here. Each is fetched as soon as its table is in
// place, while other files still download: fetched after the last download, the profiles of
// 1,000 tables were a third of a first sync (`--cpu-prof`). Never asks the server to compute
// one; a profile that vanished meanwhile is counted as missing.
import { writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Api } from '../api.js';
import { CliError } from '../errors.js';
import type { Workspace } from '../workspace.js';
import type { SyncState } from './state.js';

export interface ProfilesResult {
  saved: number;
  missing: number;
}

export class ProfileRefresh {
  private readonly result: ProfilesResult = { saved: 0, missing: 0 };
  private readonly tasks: Promise<void>[] = [];
  /** Why profiles were not refreshed; told by `finish`, after the progress bars are gone. */
  private readonly warnings: string[] = [];
  private readonly queued: (() => void)[] = [];
  private running = 0;
  private dir: Promise<unknown> | undefined;

  constructor(
    private readonly api: Api,
    private readonly ws: Workspace,
    /** Each saved profile's `profiled_at` is recorded in its table's entry. */
    private readonly state: SyncState,
    private readonly limit = 4,
  ) {}

  add(id: string): void {
    this.tasks.push(this.fetch(id));
  }

  /** Every profile added, saved or given up on. */
  async finish(warn: (message: string) => void): Promise<ProfilesResult> {
    await Promise.all(this.tasks);
    for (const w of this.warnings) warn(w);
    return this.result;
  }

  private async fetch(id: string): Promise<void> {
    if (this.running < this.limit) this.running++;
    else await new Promise<void>((go) => this.queued.push(go)); // the slot is handed over
    try {
      const profile = await this.api.json<{ profiled_at?: string }>(`/api/catalog/profile/${encodeURIComponent(id)}?compute=false`);
      await (this.dir ??= mkdir(this.ws.profilesDir, { recursive: true }));
      // Written synchronously: a profile is a few KB, and as a promise the write was three
      // thread hand-offs (open, write, close) for each of 1,000 tables.
      writeFileSync(join(this.ws.profilesDir, `${id}.json`), JSON.stringify(profile));
      const entry = Object.hasOwn(this.state.tables, id) ? this.state.tables[id] : undefined;
      if (entry && profile.profiled_at) entry.profiled_at = profile.profiled_at;
      this.result.saved++;
    } catch (e) {
      if (e instanceof CliError && e.details.status === 404) this.result.missing++;
      else this.warnings.push(`profile of '${id}' not refreshed: ${(e as Error).message}`);
    } finally {
      const next = this.queued.shift();
      if (next) next();
      else this.running--;
    }
  }
}
