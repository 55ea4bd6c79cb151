import { RateLimitedError, type RateLimits } from '@aida/core';

export interface Limit {
  max: number;
  windowMs: number;
}

/** Per bucket: limits by key kind (the part before `:` in `ip:1.2.3.4`). */
export type LimitTable = Record<string, Record<string, Limit>>;

export const DEFAULT_LIMITS: LimitTable = {
  signin: { account: { max: 10, windowMs: 60_000 }, ip: { max: 30, windowMs: 60_000 } },
  'magic-link': { account: { max: 5, windowMs: 15 * 60_000 }, ip: { max: 20, windowMs: 60_000 } },
  reset: { account: { max: 5, windowMs: 15 * 60_000 }, ip: { max: 20, windowMs: 60_000 } },
  bootstrap: { ip: { max: 10, windowMs: 60_000 } },
  token: { account: { max: 10, windowMs: 60_000 }, ip: { max: 30, windowMs: 60_000 } },
  oauth: { ip: { max: 30, windowMs: 60_000 } },
};

/** The defaults with the instance's `auth.signin_limit` for password sign-in and the token endpoint. */
export function limitTable(signin?: { perAccount: number; perIp: number; windowMs: number }): LimitTable {
  if (!signin) return DEFAULT_LIMITS;
  const limit = { account: { max: signin.perAccount, windowMs: signin.windowMs }, ip: { max: signin.perIp, windowMs: signin.windowMs } };
  return { ...DEFAULT_LIMITS, signin: limit, token: limit };
}

/** The longest window of the table: attempts older than that count nowhere. */
export function longestWindowMs(limits: LimitTable): number {
  return Math.max(15 * 60_000, ...Object.values(limits).flatMap((kinds) => Object.values(kinds).map((l) => l.windowMs)));
}

/** The rate limits the host holds: the core contract, and an end to whatever they keep running. */
export interface HostRateLimits extends RateLimits {
  close(): Promise<void>;
}

/**
 * Sliding-window counters in memory (one host process). Every attempt counts, successful or
 * not, so a correct password is refused too until the window has passed.
 */
export class MemoryRateLimits implements HostRateLimits {
  /** Attempt times per window (`bucket|key`), oldest first. */
  protected readonly hits = new Map<string, number[]>();
  private readonly pruneAfterMs: number;

  constructor(private readonly limits: LimitTable = DEFAULT_LIMITS) {
    this.pruneAfterMs = longestWindowMs(limits);
  }

  hit(bucket: string, keys: readonly string[]): void {
    const now = Date.now();
    let retryAfterMs = 0;
    const toRecord: string[] = [];
    for (const key of keys) {
      const limit = this.limits[bucket]?.[key.split(':')[0]];
      if (!limit) continue;
      const id = this.windowId(bucket, key);
      const recent = (this.hits.get(id) ?? []).filter((t) => t > now - limit.windowMs);
      this.hits.set(id, recent);
      if (recent.length >= limit.max) retryAfterMs = Math.max(retryAfterMs, recent[0] + limit.windowMs - now);
      toRecord.push(id);
    }
    for (const id of toRecord) this.add(id, now);
    if (toRecord.length) this.recorded(toRecord, now);
    if (retryAfterMs > 0) {
      const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
      throw new RateLimitedError('Too many attempts; wait before trying again', seconds, { detail: { retry_after_seconds: seconds } });
    }
    if (this.hits.size > 50_000) this.prune(now);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The name an attempt is counted under. */
  protected windowId(bucket: string, key: string): string {
    return `${bucket}|${key}`;
  }

  /** Called with the windows an attempt was just counted in (the shared limits tell the other hosts). */
  protected recorded(_ids: readonly string[], _at: number): void {}

  /** Counts an attempt at `at`, kept in time order (another host's may arrive late). */
  protected add(id: string, at: number): void {
    const times = this.hits.get(id) ?? [];
    let i = times.length;
    while (i > 0 && times[i - 1] > at) i--;
    times.splice(i, 0, at);
    this.hits.set(id, times);
  }

  protected prune(now: number): void {
    for (const [id, times] of this.hits) if (!times.some((t) => t > now - this.pruneAfterMs)) this.hits.delete(id);
  }
}
