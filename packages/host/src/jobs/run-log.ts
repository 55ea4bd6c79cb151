import { randomUUID } from 'node:crypto';
import type { Page } from '../http/paging.js';
import type { SystemDb } from '../state/system-db.js';

/** One finished run of a job. */
export interface JobRun {
  id: string;
  job_name: string;
  /** The Agenda job the run belongs to (a recurring job keeps one id across its runs). */
  job_id: string;
  started_at: Date;
  finished_at: Date;
  status: 'completed' | 'failed';
  error: string | null;
  /** What the run reported (its handler's result), or null. */
  outcome: Record<string, unknown> | null;
  duration_ms: number;
  /** The scheduler instance that ran it. */
  worker: string;
}

/** Where the scheduler writes each finished run. */
export interface JobRunLog {
  record(run: Omit<JobRun, 'id'>): Promise<void>;
}

/** Runs kept per job; older ones are pruned as new ones arrive. */
const KEEP_PER_JOB = 200;

/** `job_runs` in the system database: run history for the jobs admin API. */
export class SystemDbJobRunLog implements JobRunLog {
  private readonly inserted = new Map<string, number>();

  constructor(private readonly db: SystemDb) {}

  async record(run: Omit<JobRun, 'id'>): Promise<void> {
    await this.db.run(
      'INSERT INTO job_runs (id, job_name, job_id, started_at, finished_at, status, error, outcome, duration_ms, worker) VALUES (?, ?, ?, ?::TIMESTAMP, ?::TIMESTAMP, ?, ?, ?::JSON, ?, ?)',
      [
        randomUUID(),
        run.job_name,
        run.job_id,
        run.started_at.toISOString(),
        run.finished_at.toISOString(),
        run.status,
        run.error,
        run.outcome === null ? null : JSON.stringify(run.outcome),
        Math.round(run.duration_ms),
        run.worker,
      ],
    );
    // Prune now and then rather than on every insert: a delete per run would cost more than the run's row.
    const n = (this.inserted.get(run.job_name) ?? 0) + 1;
    this.inserted.set(run.job_name, n);
    if (n % 50 === 0) {
      await this.db.run(
        'DELETE FROM job_runs WHERE job_name = ? AND id NOT IN (SELECT id FROM job_runs WHERE job_name = ? ORDER BY finished_at DESC LIMIT ?)',
        [run.job_name, run.job_name, KEEP_PER_JOB],
      );
    }
  }

  /** A job's runs, newest first. */
  async recent(jobName: string, page: Page): Promise<{ items: JobRun[]; total: number }> {
    const [{ total }] = await this.db.all<{ total: bigint }>('SELECT count(*) AS total FROM job_runs WHERE job_name = ?', [jobName]);
    const items = await this.db.all<Omit<JobRun, 'outcome'> & { outcome: string | null }>(
      'SELECT id, job_name, job_id, started_at, finished_at, status, error, outcome::VARCHAR AS outcome, duration_ms, worker FROM job_runs WHERE job_name = ? ORDER BY finished_at DESC, id LIMIT ? OFFSET ?',
      [jobName, page.limit, page.offset],
    );
    return { items: items.map(normalise), total: Number(total) };
  }

  /** The newest run of every job that has one. */
  async latest(): Promise<Map<string, JobRun>> {
    const rows = await this.db.all<Omit<JobRun, 'outcome'> & { outcome: string | null }>(
      `SELECT DISTINCT ON (job_name) id, job_name, job_id, started_at, finished_at, status, error, outcome::VARCHAR AS outcome, duration_ms, worker
       FROM job_runs ORDER BY job_name, finished_at DESC, id`,
    );
    return new Map(rows.map((r) => [r.job_name, normalise(r)]));
  }
}

/** A stored row as the API gives it: the outcome is read back from its JSON text. */
function normalise(r: Omit<JobRun, 'outcome'> & { outcome: string | null }): JobRun {
  return { ...r, outcome: r.outcome === null ? null : (JSON.parse(r.outcome) as Record<string, unknown>), duration_ms: Number(r.duration_ms) };
}
