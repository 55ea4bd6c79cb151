/**
 * Coalescing of hot one-row statements on the system database: the job repository's lock
 * polls, state saves, unlocks, inserts and removals; notifications and their delivery
 * records. Under load hundreds of these are asked for at once, one row each; on a serial
 * DuckDB connection each costs a turn of a few milliseconds, mostly fixed overhead, so they
 * are answered a batch per statement instead.
 */
import type { SerialSql, SqlRunner } from './system-db.js';

interface Pending<Req, Res> {
  req: Req;
  resolve: (res: Res) => void;
  reject: (err: unknown) => void;
}

/** Statement size stays bounded however many callers pile up. */
const MAX_BATCH = 500;

/**
 * Collects requests and answers them with one `flush` per batch. A batch is taken when its
 * turn on the connection comes, not when it is requested, so everything asked for while
 * earlier statements ran joins it; at most one batch waits in the queue at a time.
 */
export class Batcher<Req, Res> {
  private pending: Pending<Req, Res>[] = [];
  private queued = false;

  constructor(
    private readonly sql: () => Promise<SerialSql>,
    /** Answers every request of the batch, in order, inside one transaction. */
    private readonly flush: (tx: SqlRunner, batch: readonly Req[]) => Promise<Res[]>,
    /** Requests with the same key go into separate batches, in the order they came (one row is not written twice by one statement). */
    private readonly key?: (req: Req) => string,
  ) {}

  submit(req: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      this.pending.push({ req, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.queued || this.pending.length === 0) return;
    this.queued = true;
    let batch: Pending<Req, Res>[] = [];
    const ran = this.sql().then((sql) =>
      sql.transaction((tx) => {
        this.queued = false;
        batch = this.take();
        this.schedule(); // what take() left behind (same key) gets the next turn
        return this.flush(
          tx,
          batch.map((p) => p.req),
        );
      }),
    );
    ran.then(
      (results) => batch.forEach((p, i) => p.resolve(results[i] as Res)),
      (err: unknown) => {
        if (batch.length === 0) {
          // The connection itself failed (closed database): nobody was taken, so fail everyone waiting.
          this.queued = false;
          for (const p of this.pending.splice(0)) p.reject(err);
          return;
        }
        // The transaction was rolled back: run each request alone, so one bad one fails only itself.
        if (batch.length === 1) batch[0]!.reject(err);
        else for (const p of batch) this.retryAlone(p);
      },
    );
  }

  private retryAlone(p: Pending<Req, Res>): void {
    this.sql()
      .then((sql) => sql.transaction((tx) => this.flush(tx, [p.req])))
      .then((results) => p.resolve(results[0] as Res), p.reject);
  }

  private take(): Pending<Req, Res>[] {
    if (!this.key) return this.pending.splice(0, MAX_BATCH);
    const seen = new Set<string>();
    const taken: Pending<Req, Res>[] = [];
    const left: Pending<Req, Res>[] = [];
    for (const p of this.pending) {
      const k = this.key(p.req);
      if (taken.length < MAX_BATCH && !seen.has(k)) {
        seen.add(k);
        taken.push(p);
      } else {
        left.push(p);
      }
    }
    this.pending = left;
    return taken;
  }
}
