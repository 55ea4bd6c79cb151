import { LocalChanges, reloadOnChange, type StateChanges } from '../../state/changes.js';
import type { SystemDb } from '../../state/system-db.js';
import type { TableProfile } from './profiler.js';

/**
 * `table_profiles` in system.duckdb, with every profile also kept in memory: reads (the
 * catalog asks for profiles per request) never query, writes go through to the file.
 * Keys are table ids (lower-case table names).
 */
export class ProfileStore {
  private readonly byId = new Map<string, TableProfile>();
  private loading: Promise<void> | null = null;

  /** The worker profiles; the other hosts of the instance serve what it stored, told by the change feed. */
  constructor(
    private readonly db: SystemDb,
    private readonly changes: StateChanges = new LocalChanges(),
  ) {
    reloadOnChange(changes, 'profiles', {
      one: (id) => this.reload(id),
      all: async () => {
        this.loading = null;
        await this.load();
      },
    });
  }

  /** Reads every stored profile once; later calls wait for the same load. */
  load(): Promise<void> {
    this.loading ??= (async () => {
      const rows = await this.db.all<{ table_id: string; profile: string }>('SELECT table_id, profile::VARCHAR AS profile FROM table_profiles');
      this.byId.clear();
      for (const r of rows) this.keep(r.table_id, r.profile);
    })().catch((e: unknown) => {
      this.loading = null;
      throw e;
    });
    return this.loading;
  }

  private async reload(id: string): Promise<void> {
    const key = id.toLowerCase();
    const rows = await this.db.all<{ profile: string }>('SELECT profile::VARCHAR AS profile FROM table_profiles WHERE table_id = ?', [key]);
    if (rows.length) this.keep(key, rows[0].profile);
    else this.byId.delete(key);
  }

  private keep(id: string, json: string): void {
    try {
      this.byId.set(id.toLowerCase(), JSON.parse(json) as TableProfile);
    } catch {
      // A row that is not valid JSON is treated as missing and recomputed on demand.
    }
  }

  async get(id: string): Promise<TableProfile | undefined> {
    await this.load();
    return this.byId.get(id.toLowerCase());
  }

  /** Stored profiles by table id (after load). */
  async all(): Promise<ReadonlyMap<string, TableProfile>> {
    await this.load();
    return this.byId;
  }

  async put(id: string, profile: TableProfile): Promise<void> {
    await this.load();
    const key = id.toLowerCase();
    await this.db.run(`INSERT INTO table_profiles (table_id, profile, profiled_at) VALUES (?, ?::JSON, ?::TIMESTAMP)
       ON CONFLICT (table_id) DO UPDATE SET profile = excluded.profile, profiled_at = excluded.profiled_at`, [
      key, JSON.stringify(profile), profile.profiled_at,
    ]);
    this.byId.set(key, profile);
    this.changes.publish({ topic: 'profiles', key });
  }

  async delete(id: string): Promise<boolean> {
    await this.load();
    const key = id.toLowerCase();
    const changed = await this.db.run('DELETE FROM table_profiles WHERE table_id = ?', [key]);
    this.changes.publish({ topic: 'profiles', key });
    return this.byId.delete(key) || changed > 0;
  }
}
