import type { Logger } from 'pino';
import type { StateChanges } from '../state/changes.js';
import type { SystemDb } from '../state/system-db.js';
import { longestWindowMs, MemoryRateLimits, type HostRateLimits, type LimitTable } from './rate-limits.js';
import { sha256 } from './secrets.js';

const PRUNE_EVERY_MS = 60_000;

/**
 * Rate limits that hold across the hosts of an instance (state on PostgreSQL).
 *
 * The contract (`RateLimits.hit`) is synchronous and sits on the sign-in path, so no attempt
 * waits for the database: each host counts in memory, as MemoryRateLimits does, every attempt
 * of every host. An attempt counted here is announced on the change feed at once (the others
 * add it to their windows within the feed's latency, a few milliseconds) and written to
 * `rate_limit_hits`, which a host reads when it starts and after its feed was interrupted, so
 * it also knows the attempts it did not hear. Windows are named by a SHA-256 of bucket and key:
 * neither the table nor the feed carries an email or an address.
 */
export class SharedRateLimits extends MemoryRateLimits {
  private readonly windowMs: number;
  private pruner: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;

  private constructor(
    private readonly db: SystemDb,
    private readonly changes: StateChanges,
    limits: LimitTable,
    private readonly log: Logger,
  ) {
    super(limits);
    this.windowMs = longestWindowMs(limits);
    this.unsubscribe = changes.subscribe('rate_limits', (change) => (change.key === undefined ? this.load() : this.heard(change.key)));
  }

  static async open(db: SystemDb, changes: StateChanges, limits: LimitTable, log: Logger): Promise<SharedRateLimits> {
    const shared = new SharedRateLimits(db, changes, limits, log);
    await shared.load();
    shared.pruner = setInterval(() => void shared.pruneTable(), PRUNE_EVERY_MS);
    shared.pruner.unref();
    return shared;
  }

  override close(): Promise<void> {
    clearInterval(this.pruner);
    this.unsubscribe();
    return Promise.resolve();
  }

  protected override windowId(bucket: string, key: string): string {
    return sha256(`${bucket}|${key}`);
  }

  protected override recorded(ids: readonly string[], at: number): void {
    for (const id of ids) this.changes.publish({ topic: 'rate_limits', key: `${id}@${at}` });
    const values = ids.map(() => '(?, ?::TIMESTAMP)').join(', ');
    const iso = new Date(at).toISOString();
    this.db
      .run(
        `INSERT INTO rate_limit_hits (window_id, attempted_at) VALUES ${values}`,
        ids.flatMap((id) => [id, iso]),
      )
      .catch((err: unknown) => this.log.warn({ err }, 'recording a sign-in attempt for the other hosts failed'));
  }

  /** Adds what the table holds and this host has not counted yet (the attempts it missed). */
  private async load(): Promise<void> {
    const since = new Date(Date.now() - this.windowMs).toISOString();
    const rows = await this.db.all<{ window_id: string; attempted_at: Date }>(
      'SELECT window_id, attempted_at FROM rate_limit_hits WHERE attempted_at > ?::TIMESTAMP',
      [since],
    );
    for (const r of rows) this.merge(r.window_id, r.attempted_at.getTime());
  }

  /** Another host counted an attempt: `<window>@<epoch ms>`. */
  private heard(key: string): void {
    const at = key.lastIndexOf('@');
    const time = Number(key.slice(at + 1));
    if (at < 1 || !Number.isFinite(time)) return;
    this.merge(key.slice(0, at), time);
  }

  /** Counts an attempt unless it is counted already (heard on the feed, then read from the table). */
  private merge(id: string, at: number): void {
    if (this.hits.get(id)?.includes(at)) return;
    this.add(id, at);
  }

  private async pruneTable(): Promise<void> {
    const before = new Date(Date.now() - this.windowMs).toISOString();
    await this.db
      .run('DELETE FROM rate_limit_hits WHERE attempted_at < ?::TIMESTAMP', [before])
      .catch((err: unknown) => this.log.warn({ err }, 'pruning old sign-in attempts failed'));
    this.prune(Date.now());
  }
}

/** The rate limits of a host: counted with the other hosts on PostgreSQL state, alone on DuckDB. */
export async function openRateLimits(db: SystemDb, changes: StateChanges, limits: LimitTable, log: Logger): Promise<HostRateLimits> {
  return db.dialect === 'postgres' ? SharedRateLimits.open(db, changes, limits, log) : new MemoryRateLimits(limits);
}
