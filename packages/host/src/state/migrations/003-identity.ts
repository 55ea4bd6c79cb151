import type { Migration } from './runner.js';

/** Single-use secrets (magic links, invites, password resets), stored as SHA-256 hashes. */
export const identity: Migration = {
  version: 3,
  name: 'one-time tokens',
  statements: [
    `CREATE TABLE one_time_tokens (
      purpose VARCHAR NOT NULL,
      subject VARCHAR NOT NULL,
      token_hash VARCHAR NOT NULL,
      expires_at TIMESTAMP NOT NULL,
      used_at TIMESTAMP,
      created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
      PRIMARY KEY (purpose, subject)
    )`,
  ],
};
