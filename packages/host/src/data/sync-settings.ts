import { reloadOnChange, type StateChanges } from '../state/changes.js';
import type { SystemDb } from '../state/system-db.js';

export interface Subscriptions {
  table_mode: 'all' | 'explicit';
  tables: string[];
}

export interface UserSyncSettings {
  /** Per dataset (bucket): false turns it off for `da sync`; missing means on. */
  datasets: Record<string, boolean>;
  subscriptions: Subscriptions;
}

/** The row of user_sync_settings that holds table subscriptions rather than a dataset switch. */
const SUBSCRIPTIONS_ROW = '*';

/**
 * What each user wants synced, in memory (the manifest reads it on every call) and written
 * through. A change is announced to the other hosts (`changes`, keyed by user), which forget
 * that user's settings and read them at the next call. Without a change feed, settings are
 * cached only on DuckDB, where this host is the only writer.
 */
export class SyncSettingsStore {
  private readonly cache = new Map<string, UserSyncSettings>();
  private readonly caching: boolean;
  /** Bumped whenever another host changed settings: a read that started before must not cache what it read. */
  private generation = 0;

  constructor(
    private readonly db: SystemDb,
    private readonly changes?: StateChanges,
  ) {
    this.caching = changes !== undefined || db.dialect === 'duckdb';
    if (changes) reloadOnChange(changes, 'sync_settings', { one: async (userId) => this.forget(userId), all: async () => this.forget() });
  }

  async get(userId: string): Promise<UserSyncSettings> {
    const hit = this.cache.get(userId);
    if (hit) return hit;
    const generation = this.generation;
    const rows = await this.db.all<{ dataset: string; enabled: boolean; table_mode: string | null; tables: string | null }>(
      'SELECT dataset, enabled, table_mode, tables FROM user_sync_settings WHERE user_id = ?',
      [userId],
    );
    const s: UserSyncSettings = { datasets: {}, subscriptions: { table_mode: 'all', tables: [] } };
    for (const r of rows) {
      if (r.dataset === SUBSCRIPTIONS_ROW) s.subscriptions = { table_mode: r.table_mode === 'explicit' ? 'explicit' : 'all', tables: r.tables ? (JSON.parse(r.tables) as string[]) : [] };
      else s.datasets[r.dataset] = r.enabled;
    }
    if (this.caching && generation === this.generation) this.cache.set(userId, s);
    return s;
  }

  async setDatasets(userId: string, datasets: Record<string, boolean>): Promise<UserSyncSettings> {
    const s = await this.get(userId);
    await this.db.transaction(async (tx) => {
      for (const [dataset, enabled] of Object.entries(datasets)) {
        await tx.run(
          `INSERT INTO user_sync_settings (user_id, dataset, enabled, updated_at) VALUES (?, ?, ?, current_timestamp)
           ON CONFLICT (user_id, dataset) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
          [userId, dataset, enabled],
        );
      }
    });
    const next = { ...s, datasets: { ...s.datasets, ...datasets } };
    this.remember(userId, next);
    return next;
  }

  async setSubscriptions(userId: string, sub: Subscriptions): Promise<UserSyncSettings> {
    const s = await this.get(userId);
    await this.db.run(
      `INSERT INTO user_sync_settings (user_id, dataset, enabled, table_mode, tables, updated_at) VALUES (?, ?, true, ?, ?, current_timestamp)
       ON CONFLICT (user_id, dataset) DO UPDATE SET table_mode = excluded.table_mode, tables = excluded.tables, updated_at = excluded.updated_at`,
      [userId, SUBSCRIPTIONS_ROW, sub.table_mode, JSON.stringify(sub.tables)],
    );
    const next = { ...s, subscriptions: sub };
    this.remember(userId, next);
    return next;
  }

  private forget(userId?: string): void {
    this.generation++;
    if (userId === undefined) this.cache.clear();
    else this.cache.delete(userId);
  }

  private remember(userId: string, settings: UserSyncSettings): void {
    if (this.caching) this.cache.set(userId, settings);
    this.changes?.publish({ topic: 'sync_settings', key: userId });
  }
}
