import type { Migration } from './runner.js';

/**
 * OAuth 2.1 for hosted MCP agents: the clients that registered themselves (RFC 7591), each
 * person's consent to one client (a grant), and the grant's access and refresh tokens, stored
 * as SHA-256 digests. No client secret is stored: a confidential client's secret is derived
 * from its id with the host's signing secret.
 */
export const mcpOauth: Migration = {
  version: 9,
  name: 'mcp oauth clients, grants and tokens',
  statements: [
    `CREATE TABLE mcp_oauth_clients (
      client_id VARCHAR PRIMARY KEY,
      client_name VARCHAR,
      metadata VARCHAR NOT NULL,
      created_at TIMESTAMP NOT NULL,
      revoked_at TIMESTAMP,
      revoked_by VARCHAR
    )`,
    `CREATE TABLE mcp_oauth_grants (
      id VARCHAR PRIMARY KEY,
      client_id VARCHAR NOT NULL,
      user_id VARCHAR NOT NULL,
      scopes VARCHAR NOT NULL,
      resource VARCHAR,
      created_at TIMESTAMP NOT NULL,
      last_used_at TIMESTAMP,
      revoked_at TIMESTAMP
    )`,
    `CREATE TABLE mcp_oauth_tokens (
      token_hash VARCHAR PRIMARY KEY,
      grant_id VARCHAR NOT NULL,
      kind VARCHAR NOT NULL,
      created_at TIMESTAMP NOT NULL,
      expires_at TIMESTAMP NOT NULL,
      rotated_at TIMESTAMP
    )`,
  ],
};
