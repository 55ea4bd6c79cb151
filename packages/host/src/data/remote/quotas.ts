import type { RemoteQueryLimits } from '@aida/core';
import { DailyByteCapExceededError, RemoteConcurrencyLimitError } from '../../errors.js';
import type { SystemDb } from '../../state/system-db.js';

/** A query let through the caps: it holds a slot and its estimate until released. */
export interface Admission {
  /** Adds the bytes the source billed to the caller's day (persisted, so a restart keeps them). */
  record(billed: number): Promise<void>;
  /** Frees the slot and the estimate's reservation; call once the run is over, whatever happened. */
  release(): void;
}

/**
 * The per-user caps of queries at a source, per source: bytes per UTC day (recorded in
 * `remote_query_usage`, so a restart does not reset them) and queries at once (in this process).
 *
 * A query is admitted against what its user has been billed today plus the estimates of the
 * queries still running, so concurrent queries cannot together pass the day's cap. Once a day's
 * usage is loaded the check and the reservation happen in one step, with no await between them.
 */
export class RemoteQuotas {
  /** Bytes billed per `user|day|source`, loaded from the system database on first use. */
  private readonly billed = new Map<string, Promise<{ bytes: number }>>();
  /** Estimates of the queries running, per `user|day|source`. */
  private readonly reserved = new Map<string, number>();
  /** Queries running, per `user|source`. */
  private readonly running = new Map<string, number>();

  constructor(
    private readonly db: SystemDb,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Admits a query estimated at `bytes` for `userId` at `source`, or throws 429: the day's
   * cap (`daily_byte_cap_exceeded`) is checked first, then the concurrency limit.
   */
  async admit(userId: string, source: string, limits: RemoteQueryLimits, bytes: number): Promise<Admission> {
    const at = this.now();
    const day = at.toISOString().slice(0, 10);
    const dayKey = `${userId}|${day}|${source}`;
    const today = await this.load(userId, day, source, dayKey);
    const current = today.bytes + (this.reserved.get(dayKey) ?? 0);
    if (current + bytes > limits.userDailyBytes) {
      const retry = secondsToMidnight(at);
      throw new DailyByteCapExceededError(
        `Your queries at '${source}' today scanned ${current} bytes; this one would scan ${bytes} more, past your daily cap of ${limits.userDailyBytes} bytes (it resets at 00:00 UTC)`,
        retry,
        { detail: { reason: 'daily_byte_cap_exceeded', kind: 'bytes', current, limit: limits.userDailyBytes, bytes, retry_after_seconds: retry } },
      );
    }
    const slotKey = `${userId}|${source}`;
    const running = this.running.get(slotKey) ?? 0;
    if (running >= limits.userConcurrent) {
      throw new RemoteConcurrencyLimitError(
        `You are running ${running} queries at '${source}', as many as you may at once (${limits.userConcurrent}); retry when one has finished`,
        1,
        { detail: { reason: 'concurrent_limit_exceeded', kind: 'concurrent', current: running, limit: limits.userConcurrent, retry_after_seconds: 1 } },
      );
    }
    this.running.set(slotKey, running + 1);
    this.reserved.set(dayKey, (this.reserved.get(dayKey) ?? 0) + bytes);
    let released = false;
    return {
      record: async (billed) => {
        // Counted at once (the next admission sees it), then written through.
        today.bytes += billed;
        await this.db.run(
          `INSERT INTO remote_query_usage (user_id, day, source, bytes, queries) VALUES (?, ?::DATE, ?, ?, 1)
           ON CONFLICT (user_id, day, source) DO UPDATE SET bytes = remote_query_usage.bytes + excluded.bytes, queries = remote_query_usage.queries + 1`,
          [userId, day, source, billed],
        );
      },
      release: () => {
        if (released) return;
        released = true;
        this.running.set(slotKey, (this.running.get(slotKey) ?? 1) - 1);
        const left = (this.reserved.get(dayKey) ?? bytes) - bytes;
        if (left > 0) this.reserved.set(dayKey, left);
        else this.reserved.delete(dayKey);
      },
    };
  }

  /** What `userId` was billed at `source` on `day` (cached; earlier days are forgotten). */
  private load(userId: string, day: string, source: string, key: string): Promise<{ bytes: number }> {
    let entry = this.billed.get(key);
    if (!entry) {
      for (const k of this.billed.keys()) if (k.split('|')[1] !== day) this.billed.delete(k);
      entry = this.db
        .all<{ bytes: number }>('SELECT bytes FROM remote_query_usage WHERE user_id = ? AND day = ?::DATE AND source = ?', [userId, day, source])
        .then((rows) => ({ bytes: Number(rows[0]?.bytes ?? 0) }));
      // A failed read is not remembered: the next query reads again.
      const loading = entry;
      loading.catch(() => this.billed.get(key) === loading && this.billed.delete(key));
      this.billed.set(key, loading);
    }
    return entry;
  }
}

function secondsToMidnight(at: Date): number {
  const midnight = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1);
  return Math.max(1, Math.ceil((midnight - at.getTime()) / 1000));
}
