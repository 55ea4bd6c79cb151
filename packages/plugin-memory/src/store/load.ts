import type { SqlStatements } from './db.js';
import { computeConfidence } from './confidence.js';
import { ITEM_COLUMNS, itemFromRow } from './rows.js';
import type { MemoryItem } from './types.js';

/** Any item by id, personal or not: for writes, whose callers check visibility themselves. */
export async function loadItem(tx: SqlStatements, id: string): Promise<MemoryItem | undefined> {
  const [row] = await tx.all(`SELECT ${ITEM_COLUMNS} FROM memory_items i WHERE i.id = ?`, [id]);
  return row ? itemFromRow(row) : undefined;
}

/** The item's confidence from its votes as they are in `tx` now (computeConfidence). */
export async function confidenceNow(tx: SqlStatements, item: MemoryItem, now: Date, halfLifeMs: number): Promise<number> {
  const [t] = await tx.all<{ up: number; down: number }>(
    'SELECT count(*) FILTER (WHERE vote = 1) AS up, count(*) FILTER (WHERE vote = -1) AS down FROM memory_votes WHERE item_id = ?',
    [item.id],
  );
  return computeConfidence({
    sourceType: item.source_type,
    required: item.required,
    sourceUsers: new Set(item.source_users).size,
    upvotes: Number(t?.up ?? 0),
    downvotes: Number(t?.down ?? 0),
    updatedAt: item.updated_at,
    now,
    halfLifeMs,
  });
}
