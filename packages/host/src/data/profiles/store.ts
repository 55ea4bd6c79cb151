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

  constructor(private readonly db: SystemDb) {}

  /** Reads every stored profile once; later calls wait for the same load. */
  load(): Promise<void> {
    this.loading ??= (async () => {
      const rows = await this.db.all<{ table_id: string; profile: string }>('SELECT table_id, profile::VARCHAR AS profile FROM table_profiles');
      for (const r of rows) {
        try {
          this.byId.set(r.table_id.toLowerCase(), JSON.parse(r.profile) as TableProfile);
        } catch {
          // A row that is not valid JSON is treated as missing and recomputed on demand.
        }
      }
    })().catch((e: unknown) => {
      this.loading = null;
      throw e;
    });
    return this.loading;
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
  }

  async delete(id: string): Promise<boolean> {
    await this.load();
    const key = id.toLowerCase();
    const changed = await this.db.run('DELETE FROM table_profiles WHERE table_id = ?', [key]);
    return this.byId.delete(key) || changed > 0;
  }
}
