// Retrying a call to a remote service, the one way every package does it: only the failures the
// caller classifies as retryable, after the server's Retry-After when it gave one, else after an
// exponential backoff with jitter; a Retry-After longer than the caller will wait fails at once
// (retrying sooner would only be refused again), and the caller's signal stops the waiting.

/** What `classify` says about one failure. */
export interface RetryDecision {
  /** Whether the same call may succeed later (429, 5xx, timeouts, lost connections). */
  retryable: boolean;
  /** The delay the server asked for (`Retry-After`), in ms. */
  retryAfterMs?: number;
}

export interface BackoffPolicy {
  /** Backoff before the first retry; doubled for each further one. */
  baseDelayMs: number;
  /** Cap on a backoff delay. */
  maxDelayMs: number;
}

/** Why `withRetries` stopped retrying a retryable failure. */
export type GiveUpReason =
  /** Every attempt failed (`attempts` of them, the first included). */
  | { kind: 'exhausted'; attempts: number }
  /** The server asked to wait longer than `maxRetryAfterMs`. */
  | { kind: 'retry-after-too-long'; retryAfterMs: number };

/** Told before each wait. */
export interface RetryEvent {
  error: unknown;
  /** The attempt that failed, 1-based. */
  attempt: number;
  delayMs: number;
  /** Set when the delay is the server's Retry-After. */
  retryAfterMs?: number;
}

export interface RetryOptions extends BackoffPolicy {
  /** Attempts in all, the first included (1: no retry). */
  maxAttempts: number;
  /** Longest Retry-After waited for (default 60 s); a longer one fails the call at once. */
  maxRetryAfterMs?: number;
  /** Aborting stops the retries and any wait; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
  classify: (error: unknown) => RetryDecision;
  /** Waits `ms`, rejecting when `signal` aborts (default: a timer). Tests pass a fake clock. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A number in [0, 1) for the jitter (default Math.random). */
  random?: () => number;
  onRetry?: (event: RetryEvent) => void;
  /**
   * The error to throw instead of a retryable failure `withRetries` gives up on, e.g. the same
   * error told "gave up after 5 attempts"; default: the failure itself.
   */
  onGiveUp?: (error: unknown, reason: GiveUpReason) => unknown;
}

const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;
/** Most jitter added to a Retry-After, so parallel workers told the same delay do not retry in lockstep. */
const RETRY_AFTER_JITTER_MS = 250;

/** `Retry-After` as ms: delta-seconds or an HTTP date (a past date is 0); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // An HTTP date always names its day or month; Date.parse alone would read '-1' as a year.
  const at = /[a-z]/i.test(v) ? Date.parse(v) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The backoff after failed attempt `attempt` (1-based): base·2^(attempt−1), capped at
 * `maxDelayMs`, with "equal jitter" (between half and all of it), so callers that failed
 * together do not retry together.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const capped = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(capped * (0.5 + random() * 0.5));
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `call` (given the attempt number, 1-based) until it succeeds. A failure `classify` calls
 * retryable is retried after its Retry-After (plus a little jitter) or a backoff; any other
 * failure is thrown at once, as is a retryable one on the last attempt or asking for a
 * Retry-After beyond `maxRetryAfterMs` (through `onGiveUp`).
 */
export async function withRetries<T>(call: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const sleep = o.sleep ?? abortableSleep;
  const random = o.random ?? Math.random;
  const attempts = Math.max(1, Math.floor(o.maxAttempts));
  const maxRetryAfterMs = o.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const giveUp = (error: unknown, reason: GiveUpReason) => (o.onGiveUp ? o.onGiveUp(error, reason) : error);
  for (let attempt = 1; ; attempt++) {
    o.signal?.throwIfAborted();
    try {
      return await call(attempt);
    } catch (error) {
      // The caller's abort is usually what made the attempt fail; report the abort, not its symptom.
      if (o.signal?.aborted) throw o.signal.reason ?? error;
      const decision = o.classify(error);
      if (!decision.retryable) throw error;
      if (attempt >= attempts) throw giveUp(error, { kind: 'exhausted', attempts: attempt });
      const { retryAfterMs } = decision;
      if (retryAfterMs !== undefined && retryAfterMs > maxRetryAfterMs) throw giveUp(error, { kind: 'retry-after-too-long', retryAfterMs });
      const delayMs =
        retryAfterMs !== undefined ? retryAfterMs + Math.round(random() * Math.min(RETRY_AFTER_JITTER_MS, o.baseDelayMs)) : backoffDelay(attempt, o, random);
      o.onRetry?.({ error, attempt, delayMs, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
      await sleep(delayMs, o.signal);
    }
  }
}
