import { RateLimitedError } from '@aida/core';
import { QueryBusyError } from '../../errors.js';

/**
 * Caps how many queries run at once. A query arriving when every slot is taken waits in a
 * short queue (bounded in length and in time); when the queue is full, or its wait runs out,
 * the caller gets 429 with Retry-After.
 */
export class ConcurrencyLimiter {
  private running = 0;
  private readonly waiting: { grant: () => void; timer: NodeJS.Timeout }[] = [];

  constructor(
    readonly maxConcurrent: number,
    readonly maxQueued: number,
    readonly maxWaitMs: number,
  ) {
    if (!(maxConcurrent >= 1)) throw new Error('maxConcurrent must be at least 1');
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function once a slot is free; throws 429 when it cannot get one. */
  async acquire(): Promise<() => void> {
    if (this.running < this.maxConcurrent && this.waiting.length === 0) {
      this.running++;
      return this.releaser();
    }
    if (this.waiting.length >= this.maxQueued || this.maxWaitMs <= 0) throw this.busy();
    await new Promise<void>((resolve, reject) => {
      const entry = {
        grant: () => {
          clearTimeout(entry.timer);
          resolve();
        },
        timer: setTimeout(() => {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(this.busy());
        }, this.maxWaitMs),
      };
      this.waiting.push(entry);
    });
    // The slot was handed over by release(): `running` already counts it.
    return this.releaser();
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (next) next.grant();
      else this.running--;
    };
  }

  private busy(): RateLimitedError {
    return new QueryBusyError(`The query service is busy: ${this.maxConcurrent} queries are running${this.maxQueued ? ` and ${this.waiting.length} are waiting` : ''}; retry in a moment`, 1, {
      detail: { max_concurrent: this.maxConcurrent },
    });
  }
}
