import type { Migration } from './runner.js';

/**
 * Alert rules (POST /api/alerts) and what each run of one did. A rule keeps the state its
 * next run needs (when it last fired, for the cooldown; since when it fails, so its owner is
 * told once per failure streak); `alert_history` keeps every run that fired, was held back by
 * the cooldown or failed.
 */
export const alerts: Migration = {
  version: 11,
  name: 'alerts',
  statements: [
    `CREATE TABLE alert_rules (
      id VARCHAR PRIMARY KEY,
      owner_id VARCHAR NOT NULL,
      name VARCHAR NOT NULL,
      sql VARCHAR NOT NULL,
      condition VARCHAR NOT NULL,
      message VARCHAR NOT NULL,
      schedule VARCHAR NOT NULL,
      cooldown_ms BIGINT NOT NULL,
      channels VARCHAR,
      chart VARCHAR,
      enabled BOOLEAN NOT NULL DEFAULT true,
      created_at TIMESTAMPTZ NOT NULL,
      updated_at TIMESTAMPTZ NOT NULL,
      last_run_at TIMESTAMPTZ,
      last_status VARCHAR,
      last_fired_at TIMESTAMPTZ,
      failing_since TIMESTAMPTZ
    )`,
    `CREATE TABLE alert_history (
      id VARCHAR PRIMARY KEY,
      rule_id VARCHAR NOT NULL,
      run_at TIMESTAMPTZ NOT NULL,
      run_trigger VARCHAR NOT NULL,
      status VARCHAR NOT NULL,
      row_count INTEGER,
      message VARCHAR,
      notification_id VARCHAR,
      error VARCHAR
    )`,
  ],
};
