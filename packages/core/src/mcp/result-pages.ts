// Query results kept for paging: a result larger than one answer is computed once and its rows
// kept (as JSON texts) under a random id that its cursors name, so every page comes from the
// same result and nothing is lost or repeated between pages, whatever order the engine would
// produce on a second run. Bounded in number, size and idle time; nothing runs in the
// background (expired results are dropped on the next use).
import { randomBytes } from 'node:crypto';
import { MCP_PAGED_MAX_CHARS, MCP_RESULT_TTL_MS, MCP_RESULTS_KEPT } from './limits.js';
import type { QueryRows } from './page.js';

export interface ResultPagesOptions {
  /** Results kept at once (default MCP_RESULTS_KEPT); the least recently read goes first. */
  maxResults?: number;
  /** Characters of row JSON kept in all (default twice MCP_PAGED_MAX_CHARS). */
  maxChars?: number;
  /** Idle time after which a result is dropped (default MCP_RESULT_TTL_MS). */
  ttlMs?: number;
  now?: () => number;
}

interface Kept {
  result: QueryRows;
  chars: number;
  usedAt: number;
}

export class ResultPages {
  private readonly kept = new Map<string, Kept>();
  private readonly maxResults: number;
  private readonly maxChars: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(o: ResultPagesOptions = {}) {
    this.maxResults = o.maxResults ?? MCP_RESULTS_KEPT;
    this.maxChars = o.maxChars ?? 2 * MCP_PAGED_MAX_CHARS;
    this.ttlMs = o.ttlMs ?? MCP_RESULT_TTL_MS;
    this.now = o.now ?? Date.now;
  }

  /** A fresh id for a result that may be kept (cursors name it before it is kept). */
  newKey(): string {
    return randomBytes(12).toString('base64url');
  }

  /** Keeps `result` under `key`, dropping the least recently read results to make room. */
  keep(key: string, result: QueryRows): void {
    this.expire();
    const chars = result.rows.reduce((sum, r) => sum + r.length, 0);
    this.kept.delete(key);
    for (const [k] of this.kept) {
      if (this.kept.size < this.maxResults && this.total() + chars <= this.maxChars) break;
      this.kept.delete(k); // Map order is insertion order, and get() re-inserts: the first is the least recently read
    }
    this.kept.set(key, { result, chars, usedAt: this.now() });
  }

  /** The result kept under `key`, or undefined when it expired or was never kept. */
  get(key: string): QueryRows | undefined {
    this.expire();
    const hit = this.kept.get(key);
    if (!hit) return undefined;
    hit.usedAt = this.now();
    this.kept.delete(key);
    this.kept.set(key, hit);
    return hit.result;
  }

  get size(): number {
    return this.kept.size;
  }

  private total(): number {
    let sum = 0;
    for (const k of this.kept.values()) sum += k.chars;
    return sum;
  }

  private expire(): void {
    const cutoff = this.now() - this.ttlMs;
    for (const [k, v] of this.kept) if (v.usedAt < cutoff) this.kept.delete(k);
  }
}
