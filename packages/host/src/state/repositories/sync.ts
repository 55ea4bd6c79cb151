import { randomUUID } from 'node:crypto';
import type { TableOutcome } from '@aida/core';
import type { SystemDb } from '../system-db.js';

/** What the analytics database currently serves for one table. */
export interface TableSyncState {
  table_id: string;
  source: string;
  last_sync: Date;
  rows: number;
  file_size_bytes: number;
  /** MD5 hex of the Parquet bytes (of the parts' hashes for a partitioned table). */
  hash: string;
  sha256: string;
}

export interface SyncStateRow extends TableSyncState {
  status: string;
  error: string | null;
}

export interface SyncHistoryRow {
  id: string;
  table_id: string;
  source: string;
  synced_at: Date;
  rows: number | null;
  duration_ms: number | null;
  status: string;
  error: string | null;
  /** Warnings joined by newlines, or null. */
  warnings: string | null;
}

/** `sync_state` and `sync_history`: what is served, and what every extraction did. */
export class SyncRepository {
  constructor(private readonly db: SystemDb) {}

  /**
   * Records what a rebuild now serves. The status of the last extraction (`status`,
   * `error`) is kept: a failed extraction still serves the previous data, and says so.
   */
  async recordRebuild(states: readonly TableSyncState[]): Promise<void> {
    if (!states.length) return;
    await this.db.transaction(async (tx) => {
      for (let i = 0; i < states.length; i += 500) {
        const chunk = states.slice(i, i + 500);
        await tx.run(
          `INSERT INTO sync_state (table_id, source, last_sync, rows, file_size_bytes, hash, sha256, status)
           VALUES ${chunk.map(() => "(?, ?, ?::TIMESTAMP, ?, ?, ?, ?, 'ok')").join(', ')}
           ON CONFLICT (table_id) DO UPDATE SET source = excluded.source, last_sync = excluded.last_sync,
             rows = excluded.rows, file_size_bytes = excluded.file_size_bytes, hash = excluded.hash, sha256 = excluded.sha256`,
          chunk.flatMap((s) => [s.table_id, s.source, s.last_sync.toISOString(), s.rows, s.file_size_bytes, s.hash, s.sha256]),
        );
      }
    });
  }

  /** Appends one history row per table outcome and marks failing tables in `sync_state`. */
  async recordExtraction(source: string, outcomes: readonly TableOutcome[], at = new Date()): Promise<void> {
    if (!outcomes.length) return;
    await this.db.transaction(async (tx) => {
      for (const o of outcomes) {
        await tx.run(
          `INSERT INTO sync_history (id, table_id, source, synced_at, rows, duration_ms, status, error, warnings) VALUES (?, ?, ?, ?::TIMESTAMP, ?, ?, ?, ?, ?)`,
          [
            randomUUID(),
            o.name,
            source,
            at.toISOString(),
            o.rows ?? null,
            o.durationMs === undefined ? null : Math.round(o.durationMs),
            o.status,
            o.error ?? null,
            o.warnings?.length ? o.warnings.join('\n') : null,
          ],
        );
        await tx.run(
          `INSERT INTO sync_state (table_id, source, status, error) VALUES (?, ?, ?, ?)
           ON CONFLICT (table_id) DO UPDATE SET status = excluded.status, error = excluded.error`,
          [o.name, source, o.status === 'error' ? 'error' : 'ok', o.error ?? null],
        );
      }
    });
  }

  /** When each source last extracted a table without error: the dashboard's freshness. */
  lastSuccessBySource(): Promise<{ source: string; last_success: Date }[]> {
    return this.db.all<{ source: string; last_success: Date }>(
      "SELECT source, max(synced_at) AS last_success FROM sync_history WHERE status = 'ok' GROUP BY source ORDER BY source",
    );
  }

  states(): Promise<SyncStateRow[]> {
    return this.db.all<SyncStateRow>('SELECT * FROM sync_state ORDER BY table_id');
  }

  /** One page of what extractions did, newest first, and how many rows match the filter. */
  async history(filter: { tableId?: string; source?: string; limit?: number; offset?: number } = {}): Promise<{ items: SyncHistoryRow[]; total: number }> {
    const where = 'WHERE (?::VARCHAR IS NULL OR table_id = ?) AND (?::VARCHAR IS NULL OR source = ?)';
    const params = [filter.tableId ?? null, filter.tableId ?? null, filter.source ?? null, filter.source ?? null];
    const [{ n }] = await this.db.all<{ n: number }>(`SELECT count(*) AS n FROM sync_history ${where}`, params);
    const items = await this.db.all<SyncHistoryRow>(`SELECT * FROM sync_history ${where} ORDER BY synced_at DESC, table_id, id LIMIT ? OFFSET ?`, [
      ...params,
      filter.limit ?? 100,
      filter.offset ?? 0,
    ]);
    return { items, total: Number(n) };
  }
}
