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

/**
 * Sliding-window counters in memory (one host process). Every attempt counts, successful or
 * not, so a correct password is refused too until the window has passed.
 */
export class MemoryRateLimits implements RateLimits {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly limits: LimitTable = DEFAULT_LIMITS) {}

  hit(bucket: string, keys: readonly string[]): void {
    const now = Date.now();
    let retryAfterMs = 0;
    const toRecord: [string, number[]][] = [];
    for (const key of keys) {
      const limit = this.limits[bucket]?.[key.split(':')[0]];
      if (!limit) continue;
      const id = `${bucket}|${key}`;
      const recent = (this.hits.get(id) ?? []).filter((t) => t > now - limit.windowMs);
      if (recent.length >= limit.max) retryAfterMs = Math.max(retryAfterMs, recent[0] + limit.windowMs - now);
      toRecord.push([id, recent]);
    }
    for (const [id, recent] of toRecord) {
      recent.push(now);
      this.hits.set(id, recent);
    }
    if (retryAfterMs > 0) {
      throw new RateLimitedError('Too many attempts; wait before trying again', Math.max(1, Math.ceil(retryAfterMs / 1000)), {
        detail: { retry_after_seconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) },
      });
    }
    if (this.hits.size > 50_000) this.prune(now);
  }

  private prune(now: number): void {
    for (const [id, times] of this.hits) if (!times.some((t) => t > now - 15 * 60_000)) this.hits.delete(id);
  }
}
