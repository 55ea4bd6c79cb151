import { list, ts, type SqlStatements } from './db.js';
import type { MemoryItem } from './types.js';

const INSERT = `INSERT INTO memory_items (id, title, content, category, tags, status, required, personal, owner_id, confidence,
  source_users, sources, source_type, created_at, updated_at, expires_at)
  VALUES (?, ?, ?, ?, ?::JSON::VARCHAR[], ?, ?, ?, ?, ?, ?::JSON::VARCHAR[], ?::JSON, ?, ?::TIMESTAMP, ?::TIMESTAMP, ?::TIMESTAMP)`;

/** Inserts a new item as given. */
export async function insertItem(tx: SqlStatements, i: MemoryItem): Promise<void> {
  await tx.run(INSERT, [
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

const UPDATE = `UPDATE memory_items SET title = ?, content = ?, category = ?, tags = ?::JSON::VARCHAR[], status = ?, required = ?,
  confidence = ?, source_users = ?::JSON::VARCHAR[], sources = ?::JSON, updated_at = ?::TIMESTAMP, expires_at = ?::TIMESTAMP
  WHERE id = ?`;

/** Writes back what may change of an item; id, owner, personal, source type and creation time never do. */
export async function updateItem(tx: SqlStatements, i: MemoryItem): Promise<void> {
  await tx.run(UPDATE, [
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
    i.id,
  ]);
}
