/**
 * The knobs of the query API — engine time, concurrency and queueing, stalled clients, the
 * size of in-memory JSON answers, and what queries at a source and hybrid queries may take —
 * and their defaults. (What a query at a source may scan is the connector's: RemoteQueryLimits.)
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
  /** Wall time one query at a source may take, its estimate included (ms): POST /api/query/remote and each part of a hybrid query. */
  remoteTimeoutMs: number;
  /** Rows one alias of a hybrid query may hold; a source query returning more is refused. */
  hybridMaxAliasRows: number;
  /** Aliases one hybrid query may register. */
  hybridMaxAliases: number;
  /** Memory of the scratch engine a hybrid query runs in (bytes); beyond it the engine spills to disk, then fails. */
  hybridMemoryBytes: number;
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
  remoteTimeoutMs: 300_000,
  hybridMaxAliasRows: 500_000,
  hybridMaxAliases: 10,
  hybridMemoryBytes: 2 * 1024 ** 3,
};

/** The instance config's `query:` section as limits. */
export function limitsFromConfig(q: InstanceConfig['query']): Partial<QueryLimits> {
  return {
    timeoutMs: q.timeout, maxConcurrent: q.max_concurrent, maxQueued: q.max_queued, queueWaitMs: q.queue_wait,
    stallTimeoutMs: q.stall_timeout, defaultLimit: q.default_limit, maxJsonLimit: q.max_json_limit, maxJsonChars: q.max_json_chars,
    remoteTimeoutMs: q.remote_timeout, hybridMaxAliasRows: q.hybrid_max_alias_rows, hybridMaxAliases: q.hybrid_max_aliases, hybridMemoryBytes: q.hybrid_memory,
  };
}

