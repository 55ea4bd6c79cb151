import type { Migration } from './runner.js';

/**
 * What hosted agents need from whichever host their next request reaches (state on PostgreSQL,
 * several hosts, no sticky routing): the OAuth authorizations waiting for consent and the
 * authorization codes (under SHA-256 digests of their ids, taken once with DELETE … RETURNING),
 * and the query results the MCP query tool pages by cursor, in chunks of rows so a page reads
 * only the chunks it shows. On DuckDB (one host) the results stay in memory and the second two
 * tables stay empty.
 */
export const oauthPending: Migration = {
  version: 15,
  name: 'shared OAuth pending authorizations and MCP result pages',
  statements: [
    `CREATE TABLE mcp_oauth_pending (
      id_hash VARCHAR PRIMARY KEY,
      kind VARCHAR NOT NULL,
      value VARCHAR NOT NULL,
      created_at TIMESTAMP NOT NULL,
      expires_at TIMESTAMP NOT NULL
    )`,
    'CREATE INDEX mcp_oauth_pending_kind_created ON mcp_oauth_pending (kind, created_at)',
    `CREATE TABLE mcp_result_pages (
      result_key VARCHAR PRIMARY KEY,
      columns VARCHAR NOT NULL,
      total_rows INTEGER NOT NULL,
      chars BIGINT NOT NULL,
      used_at TIMESTAMP NOT NULL
    )`,
    `CREATE TABLE mcp_result_chunks (
      result_key VARCHAR NOT NULL,
      first_row INTEGER NOT NULL,
      row_count INTEGER NOT NULL,
      chars BIGINT NOT NULL,
      row_texts VARCHAR NOT NULL,
      PRIMARY KEY (result_key, first_row)
    )`,
  ],
};
