/**
 * The engine-time budget of one query, and the two ways a query is stopped early: it ran out
 * of engine time (QueryTimeoutError, 504) or its client went away (ClientGone, 499). Every
 * call into DuckDB — the checks, the text answers, the Parquet export — runs on one clock.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ClientGoneError as ClientGone, QueryTimeoutError } from '../../errors.js';

export { ClientGone, QueryTimeoutError };

/**
 * Engine-time budget of one query. Every call into DuckDB runs through `run`, which arms a
 * timer for what is left of the budget; when it fires, the current connection is
 * interrupted (DuckDB then fails the call with an INTERRUPT error).
 */
export class EngineClock {
  private used = 0;
  timedOut = false;
  /** Set when the client went away, so the interrupt is not reported as a timeout. */
  cancelled = false;
  private target: DuckDBConnection | null = null;

  constructor(readonly budgetMs: number) {}

  on(conn: DuckDBConnection | null): void {
    this.target = conn;
  }

  /** The client went away: stop the engine, and report it as that rather than as a timeout. */
  cancel(): void {
    this.cancelled = true;
    this.interrupt();
  }

  /** Cancels when the signal fires; returns the function that stops listening. */
  follow(signal: AbortSignal | undefined): () => void {
    if (!signal) return () => undefined;
    if (signal.aborted) this.cancelled = true;
    const onAbort = () => this.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  }

  interrupt(): void {
    this.target?.interrupt();
  }

  /** While a call runs: when its time started counting, and the timer that ends it. */
  private since = 0;
  private timer: NodeJS.Timeout | undefined;

  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.cancelled) throw new ClientGone();
    if (this.budgetMs - this.used <= 0 || this.timedOut) throw new QueryTimeoutError(this.budgetMs);
    this.since = performance.now();
    this.arm();
    try {
      const value = await call();
      if (this.timedOut) throw new QueryTimeoutError(this.budgetMs);
      return value;
    } catch (e) {
      if (this.timedOut) throw new QueryTimeoutError(this.budgetMs);
      throw e;
    } finally {
      clearTimeout(this.timer);
      this.used += performance.now() - this.since;
    }
  }

  /** Interrupts the engine when what is left of the budget has run out. */
  private arm(): void {
    this.timer = setTimeout(
      () => {
        this.timedOut = true;
        this.interrupt();
      },
      Math.max(0, this.budgetMs - this.used),
    );
  }
}
