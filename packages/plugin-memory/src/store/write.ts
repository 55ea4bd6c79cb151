import { list, runRows, ts, type SqlStatements } from './db.js';
import type { MemoryItem } from './types.js';

const INSERT_ROW = '(?, ?, ?, ?, ?::VARCHAR[], ?, ?, ?, ?, ?, ?::VARCHAR[], ?::JSON, ?, ?::TIMESTAMP, ?::TIMESTAMP, ?::TIMESTAMP)';
const INSERT = (values: string) => `INSERT INTO memory_items (id, title, content, category, tags, status, required, personal, owner_id, confidence,
  source_users, sources, source_type, created_at, updated_at, expires_at) VALUES ${values}`;

/** Inserts new items as given, in as few statements as the rows allow. */
export async function insertItems(tx: SqlStatements, items: readonly MemoryItem[]): Promise<void> {
  await runRows(tx, items, INSERT_ROW, INSERT, (i) => [
    i.id,
    i.title,
    i.content,
    i.category,
    list(i.tags),
    i.status,
    i.required,
    i.personal,
    i.owner_id,
    i.confidence,
    list(i.source_users),
    JSON.stringify(i.sources),
    i.source_type,
    ts(i.created_at),
    ts(i.updated_at),
    i.expires_at ? ts(i.expires_at) : null,
  ]);
}

/** Inserts one new item as given. */
export const insertItem = (tx: SqlStatements, i: MemoryItem): Promise<void> => insertItems(tx, [i]);

// The VALUES of an UPDATE … FROM are typed by their casts: a bare `?` there has no type to bind to.
const UPDATE_ROW =
  '(?::VARCHAR, ?::VARCHAR, ?::VARCHAR, ?::VARCHAR, ?::VARCHAR[], ?::VARCHAR, ?::BOOLEAN, ?::DOUBLE PRECISION, ?::VARCHAR[], ?::VARCHAR, ?::VARCHAR, ?::VARCHAR)';
const UPDATE = (values: string) => `UPDATE memory_items SET title = v.title, content = v.content, category = v.category, tags = v.tags,
  status = v.status, required = v.required, confidence = v.confidence, source_users = v.source_users, sources = v.sources::JSON,
  updated_at = v.updated_at::TIMESTAMP, expires_at = v.expires_at::TIMESTAMP
  FROM (VALUES ${values}) AS v(id, title, content, category, tags, status, required, confidence, source_users, sources, updated_at, expires_at)
  WHERE memory_items.id = v.id`;

/**
 * Writes back what may change of items, in as few statements as the rows allow; id, owner,
 * personal, source type and creation time never change. Each item at most once per call: the
 * rows of one UPDATE must name distinct items.
 */
export async function updateItems(tx: SqlStatements, items: readonly MemoryItem[]): Promise<void> {
  await runRows(tx, items, UPDATE_ROW, UPDATE, (i) => [
    i.id,
    i.title,
    i.content,
    i.category,
    list(i.tags),
    i.status,
    i.required,
    i.confidence,
    list(i.source_users),
    JSON.stringify(i.sources),
    ts(i.updated_at),
    i.expires_at ? ts(i.expires_at) : null,
  ]);
}

/** Writes back what may change of one item. */
export const updateItem = (tx: SqlStatements, i: MemoryItem): Promise<void> => updateItems(tx, [i]);
