// Work per issue, in arrival order: two operations on one issue never overlap (a refetch and a
// delete of the same key cannot interleave their writes), while different issues proceed in
// parallel up to `concurrency`. A webhook only enqueues, so it answers at once even when Jira
// is rate-limiting the refetches behind it.

export type IssueOp = 'refetch' | 'delete';

export interface IssueQueueOptions {
  concurrency: number;
  /** Most issues waiting at once; beyond it `enqueue` refuses (the webhook answers 503 and Jira redelivers). */
  maxPending: number;
  /** Does one operation; the key's next one starts when it settles. */
  run: (key: string, op: IssueOp) => Promise<void>;
  /** Told of an operation that threw (the queue goes on). */
  onError: (key: string, op: IssueOp, error: unknown) => void;
}

export class IssueQueue {
  /** Operations not yet started, per key, in order. */
  private readonly pending = new Map<string, IssueOp[]>();
  /** Keys with pending operations and none running, oldest first (a Map keeps insertion order). */
  private readonly ready = new Set<string>();
  private readonly running = new Set<string>();
  private idleWaiters: (() => void)[] = [];
  private keyWaiters = new Map<string, (() => void)[]>();

  constructor(private readonly o: IssueQueueOptions) {}

  /**
   * Queues `op` for `key`. A repeat of the operation already waiting last is the same work, so
   * it is not queued twice (five deliveries of one webhook refetch once). False when full.
   */
  enqueue(key: string, op: IssueOp): boolean {
    const ops = this.pending.get(key);
    if (ops) {
      if (ops.at(-1) !== op) ops.push(op);
      return true;
    }
    if (this.pending.size >= this.o.maxPending) return false;
    this.pending.set(key, [op]);
    if (!this.running.has(key)) this.ready.add(key);
    this.pump();
    return true;
  }

  get size(): { pending: number; running: number } {
    return { pending: this.pending.size, running: this.running.size };
  }

  /** Resolves when `key` has nothing waiting or running. */
  settled(key: string): Promise<void> {
    if (!this.pending.has(key) && !this.running.has(key)) return Promise.resolve();
    return new Promise((resolve) => this.keyWaiters.set(key, [...(this.keyWaiters.get(key) ?? []), resolve]));
  }

  /** Resolves when nothing is waiting or running. */
  idle(): Promise<void> {
    if (this.pending.size === 0 && this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private wake(key: string): void {
    const waiters = this.keyWaiters.get(key);
    this.keyWaiters.delete(key);
    for (const w of waiters ?? []) w();
  }

  private pump(): void {
    while (this.running.size < this.o.concurrency && this.ready.size > 0) {
      const key = this.ready.values().next().value as string;
      this.ready.delete(key);
      const ops = this.pending.get(key)!;
      const op = ops.shift()!;
      if (ops.length === 0) this.pending.delete(key);
      this.running.add(key);
      void this.o
        .run(key, op)
        .catch((e: unknown) => this.o.onError(key, op, e))
        .finally(() => {
          this.running.delete(key);
          if (this.pending.has(key)) this.ready.add(key);
          else this.wake(key);
          this.pump();
          if (this.pending.size === 0 && this.running.size === 0) {
            const waiters = this.idleWaiters;
            this.idleWaiters = [];
            for (const w of waiters) w();
          }
        });
    }
  }
}
