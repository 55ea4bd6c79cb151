import type { Migration } from './runner.js';

/** The system tables of the reference design (004 §3) plus personal access tokens and access requests. */
export const initial: Migration = {
  version: 1,
  name: 'system tables',
  statements: [
    `CREATE TABLE users (
      id VARCHAR PRIMARY KEY,
      email VARCHAR UNIQUE NOT NULL,
      name VARCHAR,
      role VARCHAR NOT NULL DEFAULT 'analyst',
      password_hash VARCHAR,
      setup_token VARCHAR,
      setup_token_expires TIMESTAMP,
      reset_token VARCHAR,
      reset_token_expires TIMESTAMP,
      active BOOLEAN NOT NULL DEFAULT true,
      created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
      updated_at TIMESTAMP
    )`,
    `CREATE TABLE personal_access_tokens (
      id VARCHAR PRIMARY KEY,
      user_id VARCHAR NOT NULL,
      name VARCHAR NOT NULL,
      prefix VARCHAR NOT NULL,
      token_hash VARCHAR NOT NULL UNIQUE,
      created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
      expires_at TIMESTAMP,
      revoked_at TIMESTAMP,
      last_used_at TIMESTAMP,
      last_used_ip VARCHAR
    )`,
    `CREATE TABLE user_sync_settings (
      user_id VARCHAR NOT NULL,
      dataset VARCHAR NOT NULL,
      enabled BOOLEAN DEFAULT false,
      table_mode VARCHAR DEFAULT 'all',
      tables JSON,
      updated_at TIMESTAMP,
      PRIMARY KEY (user_id, dataset)
    )`,
    `CREATE TABLE dataset_permissions (
      user_id VARCHAR NOT NULL,
      dataset VARCHAR NOT NULL,
      access VARCHAR NOT NULL DEFAULT 'read',
      granted_by VARCHAR,
      granted_at TIMESTAMP DEFAULT current_timestamp,
      PRIMARY KEY (user_id, dataset)
    )`,
    `CREATE TABLE access_requests (
      id VARCHAR PRIMARY KEY,
      user_id VARCHAR NOT NULL,
      table_id VARCHAR NOT NULL,
      reason VARCHAR,
      status VARCHAR NOT NULL DEFAULT 'pending',
      created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
      decided_by VARCHAR,
      decided_at TIMESTAMP
    )`,
    `CREATE TABLE sync_state (
      table_id VARCHAR PRIMARY KEY,
      source VARCHAR,
      last_sync TIMESTAMP,
      rows BIGINT,
      file_size_bytes BIGINT,
      uncompressed_size_bytes BIGINT,
      columns INTEGER,
      hash VARCHAR,
      sha256 VARCHAR,
      status VARCHAR DEFAULT 'ok',
      error VARCHAR
    )`,
    `CREATE TABLE sync_history (
      id VARCHAR PRIMARY KEY,
      table_id VARCHAR NOT NULL,
      source VARCHAR,
      synced_at TIMESTAMP NOT NULL,
      rows BIGINT,
      duration_ms INTEGER,
      status VARCHAR,
      error VARCHAR
    )`,
    `CREATE TABLE table_registry (
      id VARCHAR PRIMARY KEY,
      name VARCHAR NOT NULL,
      folder VARCHAR,
      sync_strategy VARCHAR DEFAULT 'full_refresh',
      primary_key VARCHAR,
      description VARCHAR,
      source_type VARCHAR,
      bucket VARCHAR,
      source_table VARCHAR,
      query_mode VARCHAR DEFAULT 'local',
      sync_schedule VARCHAR,
      profile_after_sync BOOLEAN DEFAULT true,
      is_public BOOLEAN DEFAULT true,
      registered_by VARCHAR,
      registered_at TIMESTAMP
    )`,
    `CREATE TABLE table_profiles (
      table_id VARCHAR PRIMARY KEY,
      profile JSON NOT NULL,
      profiled_at TIMESTAMP
    )`,
    `CREATE TABLE knowledge_items (
      id VARCHAR PRIMARY KEY,
      title VARCHAR NOT NULL,
      content VARCHAR,
      category VARCHAR,
      tags VARCHAR[],
      status VARCHAR DEFAULT 'pending',
      contributors VARCHAR[],
      source_user VARCHAR,
      audience VARCHAR,
      created_at TIMESTAMP,
      updated_at TIMESTAMP
    )`,
    `CREATE TABLE knowledge_votes (
      item_id VARCHAR NOT NULL,
      user_id VARCHAR NOT NULL,
      vote INTEGER NOT NULL,
      voted_at TIMESTAMP,
      PRIMARY KEY (item_id, user_id)
    )`,
    `CREATE TABLE audit_log (
      id VARCHAR PRIMARY KEY,
      timestamp TIMESTAMP NOT NULL,
      user_id VARCHAR,
      action VARCHAR NOT NULL,
      resource VARCHAR,
      params JSON,
      result VARCHAR,
      status INTEGER,
      duration_ms INTEGER,
      request_id VARCHAR
    )`,
    `CREATE TABLE telegram_links (
      user_id VARCHAR PRIMARY KEY,
      chat_id BIGINT NOT NULL,
      linked_at TIMESTAMP
    )`,
    `CREATE TABLE pending_codes (
      code VARCHAR PRIMARY KEY,
      chat_id BIGINT NOT NULL,
      created_at TIMESTAMP
    )`,
    `CREATE TABLE script_registry (
      id VARCHAR PRIMARY KEY,
      name VARCHAR NOT NULL,
      owner VARCHAR,
      schedule VARCHAR,
      source VARCHAR NOT NULL,
      deployed_at TIMESTAMP,
      last_run TIMESTAMP,
      last_status VARCHAR
    )`,
  ],
};
