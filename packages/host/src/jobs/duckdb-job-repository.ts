/**
 * The embedded job backend: Agenda's `JobRepository` on the `jobs` table of system.duckdb,
 * with its locking, and the `AgendaBackend` that hands it to Agenda. Row mapping, query
 * building, the save/upsert statements, batched lock polls and run-state saves live in the
 * duckdb-job-* modules beside it.
 */
import {
  computeJobState,
  InMemoryNotificationChannel,
  type AgendaBackend,
  type JobId,
  type JobParameters,
  type JobRepository,
  type JobRepositoryOptions,
  type JobsOverview,
  type JobsQueryOptions,
  type JobsResult,
  type JobWithState,
  type NotificationChannel,
  type RemoveJobsOptions,
} from 'agenda';
import type { SerialSql, SqlRunner, SystemDb } from '../state/system-db.js';
import { Batcher } from '../state/batcher.js';
import { JobLocker, lockDue } from './duckdb-job-lock.js';
import { asJson, jsonContains, matchingIds, orderBy, Where } from './duckdb-job-query.js';
import { toJob, ts, type JobRow } from './duckdb-job-rows.js';
import { insertMany, updateById, upsertSingle, upsertUnique, type InsertRequest } from './duckdb-job-save.js';
import { saveError, saveStates, unlockBatch, type SaveOutcome, type StateSave } from './duckdb-job-state.js';

export { jsonContains } from './duckdb-job-query.js';

/** The `SystemDb` lane every job repository on one database shares. */
const JOBS_LANE = 'jobs';

/**
 * Agenda's `JobRepository` on the `jobs` table of state/system.duckdb.
 *
 * DuckDB allows one writing process per file. Every repository on one `SystemDb` (several
 * Agenda instances included) runs its statements on the database's `jobs` lane: one
 * connection of their own, one statement at a time, so job polling never queues behind
 * the rest of the host and vice versa. Each lock is a single `UPDATE … RETURNING`, so of
 * any number of lock attempts in this process exactly one gets a row; upserts that read
 * before they write run in a transaction for the same reason.
 *
 * The processor's hot calls (lock polls, state saves, unlocks, plain inserts, removals by
 * id) are batched: whatever piles up while a statement runs is answered by the next one.
 */
export class DuckDbJobRepository implements JobRepository {
  private readonly sql: () => Promise<SerialSql>;
  /** Lock polls per worker name (one per Agenda instance using this repository). */
  private readonly lockers = new Map<string | null, JobLocker>();
  private readonly states: Batcher<StateSave, SaveOutcome>;
  private readonly unlocks: Batcher<JobParameters, undefined>;
  private readonly inserts: Batcher<InsertRequest, JobParameters>;
  private readonly removals: Batcher<string, number>;

  constructor(private readonly db: SystemDb) {
    this.sql = () => db.lane(JOBS_LANE);
    // One save per job and batch: a late save of an older run and the newer run's save
    // must reach the row in the order they were made.
    this.states = new Batcher(this.sql, saveStates, ({ job }) => String(job._id));
    this.unlocks = new Batcher(this.sql, unlockBatch, (job) => String(job._id));
    this.inserts = new Batcher(this.sql, (tx, batch) => insertMany(tx, batch));
    this.removals = new Batcher(this.sql, removeByIds, (id) => id);
  }

  /** Checks that migration 002 has run: the table is the host's, not ours to create. */
  async connect(): Promise<void> {
    const found = await (
      await this.sql()
    ).all<{ n: number }>(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'jobs' AND table_schema = 'main'`);
    if (!found[0] || found[0].n === 0) {
      throw new Error(`${this.db.path} has no jobs table; run the system database migrations before starting the job scheduler`);
    }
  }

  async getJobById(id: string): Promise<JobParameters | null> {
    const rows = await (await this.sql()).all<JobRow>('SELECT * FROM jobs WHERE id = ?', [String(id)]);
    return rows[0] ? toJob(rows[0]) : null;
  }

  async queryJobs(options: JobsQueryOptions = {}): Promise<JobsResult> {
    const { name, names, state, id, ids, search, data, includeDisabled = true, sort, skip = 0, limit = 0 } = options;
    const where = new Where();
    if (name) where.add('name = ?', name);
    else if (names?.length) where.in('name', names);
    if (id) where.add('id = ?', String(id));
    else if (ids?.length) where.in('id', ids.map(String));
    if (search) where.add(`name ILIKE ? ESCAPE '\\'`, `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    if (!includeDisabled) where.add('NOT disabled');
    const rows = await (await this.sql()).all<JobRow>(`SELECT * FROM jobs ${where} ORDER BY ${orderBy(sort)}`, where.params);

    const now = new Date();
    const needle = asJson(data);
    const jobs: JobWithState[] = rows
      .map(toJob)
      .filter((job) => needle === undefined || jsonContains(job.data, needle))
      .map((job) => ({ ...job, _id: job._id!, state: computeJobState(job, now) }))
      // Agenda derives `paused` from `disabled`, not from the timestamps.
      .filter((job) => !state || (state === 'paused' ? job.disabled === true : job.state === state));
    const page = limit > 0 ? jobs.slice(skip, skip + limit) : jobs.slice(skip);
    return { jobs: page, total: jobs.length };
  }

  async getJobsOverview(): Promise<JobsOverview[]> {
    const rows = await (await this.sql()).all<JobRow>('SELECT * FROM jobs ORDER BY name');
    const now = new Date();
    const byName = new Map<string, JobsOverview>();
    for (const job of rows.map(toJob)) {
      let o = byName.get(job.name);
      if (!o) {
        o = { name: job.name, total: 0, running: 0, scheduled: 0, queued: 0, completed: 0, failed: 0, repeating: 0, paused: 0 };
        byName.set(job.name, o);
      }
      o.total++;
      o[computeJobState(job, now)]++;
      if (job.disabled) o.paused++;
    }
    return [...byName.values()];
  }

  async getDistinctJobNames(): Promise<string[]> {
    return (await (await this.sql()).all<{ name: string }>('SELECT DISTINCT name FROM jobs ORDER BY name')).map((r) => r.name);
  }

  async getQueueSize(): Promise<number> {
    const [row] = await (await this.sql()).all<{ n: number }>('SELECT count(*) AS n FROM jobs WHERE next_run_at < ?', [ts(new Date())]);
    return row?.n ?? 0;
  }

  async removeJobs(options: RemoveJobsOptions): Promise<number> {
    // `job.remove()`, which Agenda calls for every one-off that succeeded, names just the id.
    const keys = Object.entries(options)
      .filter(([, v]) => v !== undefined)
      .map(([k]) => k);
    if (options.id !== undefined && keys.length === 1) return this.removals.submit(String(options.id));
    return (await this.sql()).transaction(async (tx) => {
      const ids = await matchingIds(tx, options);
      if (!ids?.length) return 0;
      return tx.run(`DELETE FROM jobs ${new Where().in('id', ids)}`, ids);
    });
  }

  disableJobs(options: RemoveJobsOptions): Promise<number> {
    return this.setDisabled(options, true);
  }

  enableJobs(options: RemoveJobsOptions): Promise<number> {
    return this.setDisabled(options, false);
  }

  async purgeAllJobs(): Promise<number> {
    return (await this.sql()).run('DELETE FROM jobs');
  }

  async saveJob<DATA = unknown>(job: JobParameters<DATA>, options: JobRepositoryOptions | undefined): Promise<JobParameters<DATA>> {
    const { _id, unique, uniqueOpts, ...props } = job as JobParameters;
    const by = options?.lastModifiedBy ?? null;
    if (!_id && props.type !== 'single' && !unique) return (await this.inserts.submit({ props, by })) as JobParameters<DATA>;
    const saved = await (
      await this.sql()
    ).transaction(async (tx): Promise<JobParameters | null> => {
      if (_id) return updateById(tx, String(_id), props, by);
      if (props.type === 'single') return upsertSingle(tx, props, by);
      return upsertUnique(tx, props, unique!, uniqueOpts, by);
    });
    // Agenda's contract: a job removed meanwhile comes back unchanged.
    return (saved ?? job) as JobParameters<DATA>;
  }

  /**
   * Saves a run's state, if the run still holds the job's lock: the lock the job object
   * came with from this repository, or the one its previous save left. A run that lost its
   * lock (it overran its lock lifetime and another run took the job over) is refused with
   * an error: at start, so its handler does not run; at the end, so it cannot unlock its
   * successor (Agenda ignores a failed final save).
   */
  async saveJobState(job: JobParameters, options: JobRepositoryOptions | undefined): Promise<void> {
    if (!job._id) throw new Error('Cannot save job state without job ID');
    const outcome = await this.states.submit({ job, by: options?.lastModifiedBy ?? null });
    if (outcome !== 'saved') throw saveError(job, outcome);
  }

  /** Locks one known job if it is still unlocked, enabled and due at the time the caller saw. */
  async lockJob(job: JobParameters, options: JobRepositoryOptions | undefined): Promise<JobParameters | undefined> {
    if (!job._id) return undefined;
    const now = new Date();
    const rows = await (
      await this.sql()
    ).transaction((tx) =>
      tx.all<JobRow>(
        `UPDATE jobs SET locked_at = ?, last_modified_by = ?, updated_at = ?
         WHERE id = ? AND name = ? AND locked_at IS NULL AND next_run_at = ? AND NOT disabled
         RETURNING *`,
        [ts(now), options?.lastModifiedBy ?? null, ts(now), String(job._id), job.name, ts(job.nextRunAt)],
      ),
    );
    return rows[0] ? toJob(rows[0]) : undefined;
  }

  /**
   * Finds and locks the next job of `jobName` that is due before `nextScanAt`, or whose lock
   * is older than `lockDeadline` (its worker died or overran). Calls made while a poll is
   * queued or running share the next poll (see duckdb-job-lock.ts).
   */
  async getNextJobToRun(
    jobName: string,
    nextScanAt: Date,
    lockDeadline: Date,
    now: Date | undefined,
    options: JobRepositoryOptions | undefined,
  ): Promise<JobParameters | undefined> {
    const by = options?.lastModifiedBy ?? null;
    const req = { name: jobName, nextScanAt, lockDeadline };
    if (now) {
      // A lock time fixed by the caller (tests, replays): one plain poll.
      const locked = await (await this.sql()).transaction((tx) => lockDue(tx, by, now, [req]));
      return locked.get(jobName)?.[0];
    }
    let locker = this.lockers.get(by);
    if (!locker) {
      locker = new JobLocker(this.sql, by, (jobs) => this.unlockJobs(jobs.map((j) => j._id!)));
      this.lockers.set(by, locker);
    }
    return locker.next(req);
  }

  /** Unlocks the jobs locked ahead of demand that no queue fill claimed (before the backend disconnects). */
  async releaseSpares(): Promise<void> {
    for (const locker of this.lockers.values()) await locker.releaseAll();
  }

  /** Releases a lock taken for a job that will not run now; a running one-off (no nextRunAt) keeps its lock. */
  async unlockJob(job: JobParameters): Promise<void> {
    if (!job._id) return;
    await this.unlocks.submit(job);
  }

  async unlockJobs(jobIds: (JobId | string)[]): Promise<void> {
    const ids = jobIds.map(String);
    if (ids.length === 0) return;
    await (await this.sql()).run(`UPDATE jobs SET locked_at = NULL ${new Where().in('id', ids)}`, ids);
  }

  private async setDisabled(options: RemoveJobsOptions, disabled: boolean): Promise<number> {
    return (await this.sql()).transaction(async (tx) => {
      const ids = await matchingIds(tx, options);
      if (!ids?.length) return 0;
      return tx.run(`UPDATE jobs SET disabled = ?, updated_at = ? ${new Where().in('id', ids)}`, [disabled, ts(new Date()), ...ids]);
    });
  }
}

/** Removes the jobs with these (distinct) ids; for each, 1 if it was there. */
async function removeByIds(tx: SqlRunner, ids: readonly string[]): Promise<number[]> {
  const gone = await tx.all<{ id: string }>(`DELETE FROM jobs ${new Where().in('id', ids)} RETURNING id`, [...ids]);
  const removed = new Set(gone.map((r) => r.id));
  return ids.map((id) => (removed.has(id) ? 1 : 0));
}

/**
 * The embedded job backend: storage in system.duckdb. The connection is the host's
 * `SystemDb`, so `disconnect()` leaves it open. Agenda's in-process notification channel
 * lets `now()` jobs start at once instead of at the next poll; no cross-process channel is
 * needed because only one process can open system.duckdb.
 */
export class DuckDbJobsBackend implements AgendaBackend {
  readonly name = 'DuckDB';
  readonly repository: DuckDbJobRepository;
  readonly notificationChannel: NotificationChannel = new InMemoryNotificationChannel();
  readonly ownsConnection = false;

  constructor(db: SystemDb) {
    this.repository = new DuckDbJobRepository(db);
  }

  connect(): Promise<void> {
    return this.repository.connect();
  }

  async disconnect(): Promise<void> {
    // The SystemDb belongs to the host, which closes it after stopping the scheduler.
    await this.repository.releaseSpares();
  }
}
