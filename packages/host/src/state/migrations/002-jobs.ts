import type { Migration } from './runner.js';

/**
 * Agenda's jobs for the embedded job backend (`jobs.backend: duckdb`), one row per job,
 * with the columns of Agenda's own SQL backend. Times are UTC TIMESTAMPs; `data` and
 * `skip_days` are JSON text. There is deliberately no secondary index: the table holds
 * tens to hundreds of rows, which DuckDB scans faster than it maintains an ART index
 * that every lock and unlock (an UPDATE of `locked_at`/`next_run_at`) would rewrite.
 */
export const jobs: Migration = {
  version: 2,
  name: 'jobs',
  statements: [
    `CREATE TABLE jobs (
      id VARCHAR PRIMARY KEY,
      name VARCHAR NOT NULL,
      priority INTEGER NOT NULL DEFAULT 0,
      type VARCHAR NOT NULL DEFAULT 'normal',
      next_run_at TIMESTAMP,
      locked_at TIMESTAMP,
      last_run_at TIMESTAMP,
      last_finished_at TIMESTAMP,
      failed_at TIMESTAMP,
      fail_count INTEGER,
      fail_reason VARCHAR,
      repeat_interval VARCHAR,
      repeat_timezone VARCHAR,
      repeat_at VARCHAR,
      data JSON,
      disabled BOOLEAN NOT NULL DEFAULT false,
      progress DOUBLE,
      fork BOOLEAN NOT NULL DEFAULT false,
      last_modified_by VARCHAR,
      debounce_started_at TIMESTAMP,
      start_date TIMESTAMP,
      end_date TIMESTAMP,
      skip_days JSON,
      created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
      updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
    )`,
  ],
};
