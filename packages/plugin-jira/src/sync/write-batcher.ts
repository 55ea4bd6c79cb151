// Gathers the issues refetched at about the same time into one store write: one commit and one
// analytics rebuild for a burst of webhooks, instead of one per event. Writes run one at a
// time (the store's tables have a single writer); each caller learns how its own op ended.
import type { ApplyResult, StoreOp } from '../store/types.js';

export interface WriteBatcherOptions {
  apply: (ops: StoreOp[]) => Promise<ApplyResult>;
  /** How long the first op of a batch waits for others. */
  maxWaitMs: number;
  /** A batch this large is written at once. */
  maxOps: number;
}

/** How one op ended: written, skipped as older than what is stored, or deleted. */
export type OpOutcome = 'written' | 'stale' | 'deleted';

interface Waiting {
  op: StoreOp;
  resolve: (outcome: OpOutcome) => void;
  reject: (error: unknown) => void;
}

export class WriteBatcher {
  private queue: Waiting[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;

  constructor(private readonly o: WriteBatcherOptions) {}

  /** Resolves once the batch holding `op` is committed; rejects when that write failed. */
  submit(op: StoreOp): Promise<OpOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (this.queue.length >= this.o.maxOps) this.flushSoon(0);
      else this.flushSoon(this.o.maxWaitMs);
    });
  }

  /** Writes what is waiting now and waits for every write to end. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.writing) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      if (!this.writing) this.startWrite();
      await this.writing;
    }
  }

  private flushSoon(ms: number): void {
    if (this.writing) return; // the running write starts the next batch when it ends
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.startWrite();
    }, ms);
  }

  private startWrite(): void {
    const batch = this.queue.splice(0, this.o.maxOps);
    if (batch.length === 0) return;
    this.writing = this.write(batch).finally(() => {
      this.writing = null;
      // What arrived during the write has waited long enough: write it now.
      if (this.queue.length > 0) this.flushSoon(0);
    });
  }

  private async write(batch: Waiting[]): Promise<void> {
    try {
      const result = await this.o.apply(batch.map((w) => w.op));
      const stale = new Set(result.stale);
      for (const w of batch) w.resolve(w.op.kind === 'delete' ? 'deleted' : stale.has(w.op.key) ? 'stale' : 'written');
    } catch (e) {
      for (const w of batch) w.reject(e);
    }
  }
}
