/**
 * The knobs of the query API — engine time, concurrency and queueing, stalled clients, and
 * the size of in-memory JSON answers — and their defaults.
 */
import type { InstanceConfig } from '../../config/schema.js';

export interface QueryLimits {
  /** Engine time one query may use (ms): parse, bind, execute, fetch. Waiting for a slow client does not count. */
  timeoutMs: number;
  /** Queries running at once. */
  maxConcurrent: number;
  /** Queries that may wait for a slot; beyond that, 429. */
  maxQueued: number;
  /** How long a query waits for a slot before 429 (ms). */
  queueWaitMs: number;
  /** A streaming client that reads nothing for this long is cut off (ms). */
  stallTimeoutMs: number;
  /** Rows of a JSON answer when the request names no limit. */
  defaultLimit: number;
  /** Largest `limit` for JSON (the answer is built in memory); streaming formats have none. */
  maxJsonLimit: number;
  /** Largest JSON answer (characters); a bigger result must use a streaming format. */
  maxJsonChars: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  timeoutMs: 30_000,
  maxConcurrent: 4,
  maxQueued: 16,
  queueWaitMs: 5_000,
  stallTimeoutMs: 60_000,
  defaultLimit: 1000,
  maxJsonLimit: 100_000,
  maxJsonChars: 128 * 1024 * 1024,
};

/** The instance config's `query:` section as limits. */
export function limitsFromConfig(q: InstanceConfig['query']): Partial<QueryLimits> {
  return {
    timeoutMs: q.timeout, maxConcurrent: q.max_concurrent, maxQueued: q.max_queued, queueWaitMs: q.queue_wait,
    stallTimeoutMs: q.stall_timeout, defaultLimit: q.default_limit, maxJsonLimit: q.max_json_limit, maxJsonChars: q.max_json_chars,
  };
}

