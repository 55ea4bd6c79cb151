import type { Migration } from './runner.js';

/**
 * What the hosts of one instance must agree on beyond the data itself (state on PostgreSQL):
 * recent sign-in attempts, so the rate limits count every host's (each window is named by a
 * SHA-256, so no email or address is kept), and the session signing secret, so a session or
 * token signed by one host is valid on the others. On DuckDB (one host) both stay empty: the
 * attempts are counted in memory and the secret is the data dir's `state/jwt-secret`.
 */
export const rateLimits: Migration = {
  version: 14,
  name: 'shared rate limit attempts and signing secret',
  statements: [
    `CREATE TABLE rate_limit_hits (
      window_id VARCHAR NOT NULL,
      attempted_at TIMESTAMP NOT NULL
    )`,
    'CREATE INDEX rate_limit_hits_attempted_at ON rate_limit_hits (attempted_at)',
    `CREATE TABLE instance_secrets (
      name VARCHAR PRIMARY KEY,
      value VARCHAR NOT NULL,
      created_at TIMESTAMP NOT NULL
    )`,
  ],
};
