import type { Migration } from './runner.js';

/**
 * Queries at a source (POST /api/query/remote, /api/query/hybrid): the bytes each user scanned
 * per UTC day and source, so the daily cap survives a restart; and the bytes of every audited call.
 */
export const remoteQuery: Migration = {
  version: 8,
  name: 'remote query usage',
  statements: [
    `CREATE TABLE remote_query_usage (
      user_id VARCHAR NOT NULL,
      day DATE NOT NULL,
      source VARCHAR NOT NULL,
      bytes BIGINT NOT NULL,
      queries INTEGER NOT NULL,
      PRIMARY KEY (user_id, day, source)
    )`,
    'ALTER TABLE audit_log ADD COLUMN bytes_scanned BIGINT',
  ],
};
