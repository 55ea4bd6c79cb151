/**
 * The embedded job backend: Agenda's `JobRepository` on the `jobs` table of system.duckdb,
 * with its locking, and the `AgendaBackend` that hands it to Agenda. Row mapping, query
 * building and the save/upsert statements live in the duckdb-job-* modules beside it.
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
import type { SystemDb } from '../state/system-db.js';
import { asJson, jsonContains, matchingIds, orderBy, Where } from './duckdb-job-query.js';
import { toJob, ts, type JobRow } from './duckdb-job-rows.js';
import { insert, updateById, upsertSingle, upsertUnique } from './duckdb-job-save.js';

export { jsonContains } from './duckdb-job-query.js';

/**
 * Agenda's `JobRepository` on the `jobs` table of state/system.duckdb.
 *
 * DuckDB allows one writing process per file, and `SystemDb` runs every statement of this
 * process on one connection, one at a time. Each lock is a single `UPDATE … RETURNING` in
 * its own transaction, so of any number of lock attempts in this process (several Agenda
 * instances included) exactly one gets the row; upserts that read before they write run
 * in a transaction for the same reason.
 */
export class DuckDbJobRepository implements JobRepository {
  constructor(private readonly db: SystemDb) {}

  /** Checks that migration 002 has run: the table is the host's, not ours to create. */
  async connect(): Promise<void> {
    const found = await this.db.all<{ n: number }>(
      `SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'jobs' AND table_schema = 'main'`,
    );
    if (!found[0] || found[0].n === 0) {
      throw new Error(`${this.db.path} has no jobs table; run the system database migrations before starting the job scheduler`);
    }
  }

  async getJobById(id: string): Promise<JobParameters | null> {
    const rows = await this.db.all<JobRow>('SELECT * FROM jobs WHERE id = ?', [String(id)]);
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
    const rows = await this.db.all<JobRow>(`SELECT * FROM jobs ${where} ORDER BY ${orderBy(sort)}`, where.params);

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
    const rows = await this.db.all<JobRow>('SELECT * FROM jobs ORDER BY name');
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
    return (await this.db.all<{ name: string }>('SELECT DISTINCT name FROM jobs ORDER BY name')).map((r) => r.name);
  }

  async getQueueSize(): Promise<number> {
    const [row] = await this.db.all<{ n: number }>('SELECT count(*) AS n FROM jobs WHERE next_run_at < ?', [ts(new Date())]);
    return row?.n ?? 0;
  }

  async removeJobs(options: RemoveJobsOptions): Promise<number> {
    return this.db.transaction(async (tx) => {
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

  purgeAllJobs(): Promise<number> {
    return this.db.run('DELETE FROM jobs');
  }

  async saveJob<DATA = unknown>(job: JobParameters<DATA>, options: JobRepositoryOptions | undefined): Promise<JobParameters<DATA>> {
    const { _id, unique, uniqueOpts, ...props } = job as JobParameters;
    const by = options?.lastModifiedBy ?? null;
    const saved = await this.db.transaction(async (tx): Promise<JobParameters | null> => {
      if (_id) return updateById(tx, String(_id), props, by);
      if (props.type === 'single') return upsertSingle(tx, props, by);
      if (unique) return upsertUnique(tx, props, unique, uniqueOpts, by);
      return insert(tx, props, by);
    });
    // Agenda's contract: a job removed meanwhile comes back unchanged.
    return (saved ?? job) as JobParameters<DATA>;
  }

  async saveJobState(job: JobParameters, options: JobRepositoryOptions | undefined): Promise<void> {
    if (!job._id) throw new Error('Cannot save job state without job ID');
    const changed = await this.db.run(
      `UPDATE jobs SET locked_at = ?, next_run_at = ?, last_run_at = ?, progress = ?, fail_reason = ?, fail_count = ?,
         failed_at = ?, last_finished_at = ?, last_modified_by = ?, updated_at = ?
       WHERE id = ? AND name = ?`,
      [
        ts(job.lockedAt), ts(job.nextRunAt), ts(job.lastRunAt), job.progress ?? null, job.failReason ?? null,
        job.failCount ?? null, ts(job.failedAt), ts(job.lastFinishedAt), options?.lastModifiedBy ?? null, ts(new Date()),
        String(job._id), job.name,
      ],
    );
    if (changed !== 1) {
      throw new Error(`job ${job._id} (name: ${job.name}) cannot be updated in the database, maybe it does not exist anymore?`);
    }
  }

  /** Locks one known job if it is still unlocked, enabled and due at the time the caller saw. */
  async lockJob(job: JobParameters, options: JobRepositoryOptions | undefined): Promise<JobParameters | undefined> {
    if (!job._id) return undefined;
    const now = new Date();
    const rows = await this.db.transaction((tx) =>
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
   * is older than `lockDeadline` (its worker died or overran), in one statement.
   */
  async getNextJobToRun(
    jobName: string,
    nextScanAt: Date,
    lockDeadline: Date,
    now: Date | undefined,
    options: JobRepositoryOptions | undefined,
  ): Promise<JobParameters | undefined> {
    const lockTime = now ?? new Date();
    const lockable = `NOT disabled AND ((locked_at IS NULL AND next_run_at <= ?) OR locked_at <= ?)`;
    const rows = await this.db.transaction((tx) =>
      tx.all<JobRow>(
        `UPDATE jobs SET locked_at = ?, last_modified_by = ?, updated_at = ?
         WHERE id = (
           SELECT id FROM jobs WHERE name = ? AND ${lockable}
           ORDER BY next_run_at ASC NULLS LAST, priority DESC, id LIMIT 1
         ) AND ${lockable}
         RETURNING *`,
        [
          ts(lockTime), options?.lastModifiedBy ?? null, ts(new Date()),
          jobName, ts(nextScanAt), ts(lockDeadline),
          ts(nextScanAt), ts(lockDeadline),
        ],
      ),
    );
    return rows[0] ? toJob(rows[0]) : undefined;
  }

  /** Releases a lock taken for a job that will not run now; a running one-off (no nextRunAt) keeps its lock. */
  async unlockJob(job: JobParameters): Promise<void> {
    if (!job._id) return;
    await this.db.run('UPDATE jobs SET locked_at = NULL WHERE id = ? AND next_run_at IS NOT NULL', [String(job._id)]);
  }

  async unlockJobs(jobIds: (JobId | string)[]): Promise<void> {
    const ids = jobIds.map(String);
    if (ids.length === 0) return;
    await this.db.run(`UPDATE jobs SET locked_at = NULL ${new Where().in('id', ids)}`, ids);
  }

  private setDisabled(options: RemoveJobsOptions, disabled: boolean): Promise<number> {
    return this.db.transaction(async (tx) => {
      const ids = await matchingIds(tx, options);
      if (!ids?.length) return 0;
      return tx.run(`UPDATE jobs SET disabled = ?, updated_at = ? ${new Where().in('id', ids)}`, [disabled, ts(new Date()), ...ids]);
    });
  }
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
  }
}
