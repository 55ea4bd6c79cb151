import type { Migration } from './runner.js';

/**
 * Notification scripts (admin-deployed JavaScript modules run in the sandbox) and the
 * history of their runs: how each ended, its logs, and the notification it sent.
 */
export const scripts: Migration = {
  version: 12,
  name: 'scripts',
  statements: [
    `CREATE TABLE scripts (
      id VARCHAR PRIMARY KEY,
      name VARCHAR NOT NULL,
      source VARCHAR NOT NULL,
      owner_id VARCHAR NOT NULL,
      schedule VARCHAR,
      channels VARCHAR,
      params VARCHAR NOT NULL DEFAULT '{}',
      created_by VARCHAR NOT NULL,
      created_at TIMESTAMPTZ NOT NULL,
      updated_at TIMESTAMPTZ NOT NULL
    )`,
    `CREATE TABLE script_runs (
      id VARCHAR PRIMARY KEY,
      script_id VARCHAR NOT NULL,
      trigger VARCHAR NOT NULL,
      status VARCHAR NOT NULL,
      message VARCHAR,
      line INTEGER,
      logs VARCHAR NOT NULL DEFAULT '[]',
      queries INTEGER NOT NULL,
      duration_ms INTEGER NOT NULL,
      notification_id VARCHAR,
      started_at TIMESTAMPTZ NOT NULL
    )`,
    'CREATE INDEX script_runs_by_script ON script_runs (script_id, started_at)',
  ],
};
