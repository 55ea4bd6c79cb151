import type { PluginMigration } from '@aida/core';

/**
 * The corporate memory's tables in the system database. Never edit a released version; append
 * one. `status` is the lifecycle only; `required` (set by a mandate) and `personal` are flags.
 * Lists (`tags`, `source_users`, without duplicates) are VARCHAR[]; `sources` and the audit's
 * before/after are JSON. The SQL is the dialect DuckDB and PostgreSQL share (the host renames
 * DOUBLE for PostgreSQL); an empty list default is written `ARRAY[]::VARCHAR[]`, which both read
 * (it was DuckDB's `[]` once: the same default, so databases made then need no new version).
 */
export const memoryMigrations: readonly PluginMigration[] = [
  {
    version: 1,
    name: 'items, votes, audit, note state',
    statements: [
      `CREATE TABLE memory_items (
        id VARCHAR PRIMARY KEY,
        title VARCHAR NOT NULL,
        content VARCHAR NOT NULL,
        category VARCHAR NOT NULL,
        tags VARCHAR[] NOT NULL DEFAULT ARRAY[]::VARCHAR[],
        status VARCHAR NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'revoked', 'expired')),
        required BOOLEAN NOT NULL DEFAULT false,
        personal BOOLEAN NOT NULL DEFAULT false,
        owner_id VARCHAR,
        confidence DOUBLE NOT NULL DEFAULT 0.5,
        -- Counts of memory_votes, kept with each vote so lists and the bundle need no aggregate.
        upvotes INTEGER NOT NULL DEFAULT 0,
        downvotes INTEGER NOT NULL DEFAULT 0,
        source_users VARCHAR[] NOT NULL DEFAULT ARRAY[]::VARCHAR[],
        sources JSON NOT NULL DEFAULT '[]',
        source_type VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        expires_at TIMESTAMP
      )`,
      `CREATE TABLE memory_votes (
        item_id VARCHAR NOT NULL,
        user_id VARCHAR NOT NULL,
        vote INTEGER NOT NULL CHECK (vote IN (1, -1)),
        voted_at TIMESTAMP NOT NULL,
        PRIMARY KEY (item_id, user_id)
      )`,
      // "at" is a keyword in DuckDB: always quoted. `seq` orders rows written in the same millisecond.
      'CREATE SEQUENCE memory_audit_seq',
      `CREATE TABLE memory_audit (
        id VARCHAR PRIMARY KEY,
        seq BIGINT NOT NULL DEFAULT nextval('memory_audit_seq'),
        "at" TIMESTAMP NOT NULL,
        actor_id VARCHAR,
        action VARCHAR NOT NULL,
        item_id VARCHAR,
        before JSON,
        after JSON,
        reason VARCHAR
      )`,
      `CREATE TABLE memory_note_state (
        user_id VARCHAR PRIMARY KEY,
        sha256 VARCHAR NOT NULL,
        processed_at TIMESTAMP NOT NULL,
        status VARCHAR NOT NULL,
        error VARCHAR
      )`,
    ],
  },
];
