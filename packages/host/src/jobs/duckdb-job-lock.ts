/**
 * Lock polls of the DuckDB job repository. Agenda asks `getNextJobToRun` for one job per
 * call, and under load it makes a great many calls: one queue fill per job notification,
 * each fill calling again after every job it gets until it finds none or reaches the lock
 * limit. On a serial connection each call is a turn of several milliseconds, so:
 *
 * - calls waiting for their turn are answered together: one UPDATE locks, per job name,
 *   as many due jobs as callers ask for that name;
 * - a fill that keeps asking right after being answered (a backlog) gets jobs locked
 *   ahead for it, doubling each time, so draining a backlog of N takes about log N polls
 *   instead of N. What it does not claim within `SPARE_MS` is unlocked again.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type { JobParameters } from 'agenda';
import type { SerialSql, SqlRunner } from '../state/system-db.js';
import { Batcher } from '../state/batcher.js';
import { toJob, ts, type JobRow } from './duckdb-job-rows.js';

/** One `getNextJobToRun` call. */
export interface LockRequest {
  name: string;
  nextScanAt: Date;
  lockDeadline: Date;
}

/** Locked ahead of demand at most; a fill stops at its lock limit, the rest goes back. */
const MAX_AHEAD = 64;
/** A fill asks again within microtasks of being answered; a spare unclaimed this long is not wanted. */
const SPARE_MS = 25;

interface NameState {
  spares: JobParameters[];
  /** How many jobs the next poll locks beyond what is asked. */
  ahead: number;
  /** When the last poll answered everyone who asked (so more may be due); 0 after one that ran dry. */
  fullAt: number;
  release: NodeJS.Timeout | undefined;
}

/** The lock polls of one worker (`lastModifiedBy`) locking at the time each poll runs. */
export class JobLocker {
  private readonly names = new Map<string, NameState>();
  private readonly polls: Batcher<LockRequest, JobParameters | undefined>;

  constructor(
    sql: () => Promise<SerialSql>,
    private readonly by: string | null,
    /** Gives back spares nobody claimed. */
    private readonly unlock: (jobs: JobParameters[]) => Promise<void>,
  ) {
    this.polls = new Batcher(sql, (tx, batch) => this.poll(tx, batch));
  }

  next(req: LockRequest): Promise<JobParameters | undefined> {
    const s = this.state(req.name);
    const spare = s.spares.shift();
    if (spare) {
      if (s.spares.length === 0) s.ahead = grow(s.ahead); // all claimed: the backlog goes on
      return Promise.resolve(spare);
    }
    if (Date.now() - s.fullAt < SPARE_MS) s.ahead = grow(s.ahead);
    return this.polls.submit(req);
  }

  /** Unlocks every spare now (the scheduler is stopping). */
  async releaseAll(): Promise<void> {
    const jobs: JobParameters[] = [];
    for (const s of this.names.values()) jobs.push(...this.takeSpares(s));
    if (jobs.length) await this.unlock(jobs);
  }

  private async poll(tx: SqlRunner, batch: readonly LockRequest[]): Promise<(JobParameters | undefined)[]> {
    const wanted = new Map<string, number>();
    for (const r of batch) wanted.set(r.name, (wanted.get(r.name) ?? this.state(r.name).ahead) + 1);
    const locked = await lockDue(tx, this.by, undefined, batch, (name) => this.state(name).ahead);
    const now = Date.now();
    for (const [name, jobs] of locked) {
      const s = this.state(name);
      const ranDry = jobs.length < wanted.get(name)!;
      s.fullAt = ranDry ? 0 : now;
      if (ranDry) s.ahead = 0;
    }
    const out = batch.map((r) => locked.get(r.name)?.shift());
    for (const [name, rest] of locked) if (rest.length) this.keepSpares(this.state(name), rest);
    return out;
  }

  private keepSpares(s: NameState, jobs: JobParameters[]): void {
    s.spares.push(...jobs);
    if (s.release) return;
    s.release = setTimeout(() => {
      const left = this.takeSpares(s);
      s.ahead = 0;
      // If this fails the locks expire after their lock lifetime, like those of a dead worker.
      if (left.length) this.unlock(left).catch(() => undefined);
    }, SPARE_MS);
    s.release.unref();
  }

  private takeSpares(s: NameState): JobParameters[] {
    clearTimeout(s.release);
    s.release = undefined;
    return s.spares.splice(0);
  }

  private state(name: string): NameState {
    let s = this.names.get(name);
    if (!s) {
      s = { spares: [], ahead: 0, fullAt: 0, release: undefined };
      this.names.set(name, s);
    }
    return s;
  }
}

const grow = (ahead: number): number => Math.min(MAX_AHEAD, Math.max(1, ahead * 2));

/**
 * Locks, in one statement, for each name asked for: one job per request plus `ahead(name)`,
 * returned per name in Agenda's order (earliest due, then highest priority). Requests of a
 * name share the earliest `nextScanAt` and `lockDeadline` among them, so every job handed
 * out satisfies the conditions of whichever of them gets it.
 */
export async function lockDue(
  tx: SqlRunner,
  by: string | null,
  at: Date | undefined,
  batch: readonly LockRequest[],
  ahead: (name: string) => number = () => 0,
): Promise<Map<string, JobParameters[]>> {
  const wants = new Map<string, { n: number; scanAt: Date; deadline: Date }>();
  for (const r of batch) {
    const w = wants.get(r.name);
    if (!w) wants.set(r.name, { n: 1 + ahead(r.name), scanAt: r.nextScanAt, deadline: r.lockDeadline });
    else {
      w.n++;
      if (r.nextScanAt < w.scanAt) w.scanAt = r.nextScanAt;
      if (r.lockDeadline < w.deadline) w.deadline = r.lockDeadline;
    }
  }
  const values: DuckDBValue[] = [];
  for (const [name, w] of wants) values.push(name, w.n, ts(w.scanAt), ts(w.deadline));
  const now = new Date();
  const rows = await tx.all<JobRow>(
    `UPDATE jobs SET locked_at = ?, last_modified_by = ?, updated_at = ?
     WHERE id IN (
       SELECT id FROM (
         SELECT j.id, w.n, row_number() OVER (PARTITION BY j.name ORDER BY j.next_run_at ASC NULLS LAST, j.priority DESC, j.id) AS rn
         FROM jobs j JOIN (VALUES ${[...wants.keys()].map(() => '(?::VARCHAR, ?::INTEGER, ?::TIMESTAMP, ?::TIMESTAMP)').join(', ')}) AS w(name, n, scan_at, deadline)
           ON j.name = w.name
         WHERE NOT j.disabled AND ((j.locked_at IS NULL AND j.next_run_at <= w.scan_at) OR j.locked_at <= w.deadline)
       ) WHERE rn <= n
     )
     RETURNING *`,
    [ts(at ?? now), by, ts(now), ...values],
  );
  // RETURNING has no order: restore the one the jobs were picked in.
  const byName = new Map<string, JobParameters[]>();
  for (const row of rows.sort(pickOrder)) {
    const list = byName.get(row.name);
    if (list) list.push(toJob(row));
    else byName.set(row.name, [toJob(row)]);
  }
  for (const name of wants.keys()) if (!byName.has(name)) byName.set(name, []);
  return byName;
}

/** `next_run_at ASC NULLS LAST, priority DESC, id`, as the statement picks. */
function pickOrder(a: JobRow, b: JobRow): number {
  const at = a.next_run_at?.getTime() ?? Infinity;
  const bt = b.next_run_at?.getTime() ?? Infinity;
  if (at !== bt) return at < bt ? -1 : 1;
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
