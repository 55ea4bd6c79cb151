import type { Migration } from './runner.js';

/**
 * One row per finished job run, for the jobs admin API. Agenda keeps one document per job
 * (a recurring job's document is overwritten every run), so run history lives here.
 */
export const jobRuns: Migration = {
  version: 5,
  name: 'job runs',
  statements: [
    `CREATE TABLE job_runs (
      id VARCHAR PRIMARY KEY,
      job_name VARCHAR NOT NULL,
      job_id VARCHAR NOT NULL,
      started_at TIMESTAMP NOT NULL,
      finished_at TIMESTAMP NOT NULL,
      status VARCHAR NOT NULL,
      error VARCHAR,
      duration_ms BIGINT NOT NULL,
      worker VARCHAR NOT NULL
    )`,
  ],
};
