import { randomUUID } from 'node:crypto';
import { asDate, int, parseJson, runRows, ts, type MemoryDb, type Row, type SqlStatements } from './db.js';
import type { MemoryItem } from './types.js';

/** What happened to an item: proposals, extraction, and every governance action. */
export type AuditAction =
  | 'propose'
  | 'create'
  | 'extract_create'
  | 'extract_update'
  /** A candidate the extraction dropped (judged unsafe to share): no item, the reason says why. */
  | 'extract_drop'
  | 'approve'
  | 'reject'
  | 'mandate'
  | 'revoke'
  | 'edit'
  | 'expire';

/** One row of the governance audit: who did what, when, with the item before and after. */
export interface AuditEntry {
  id: string;
  at: Date;
  /** The user who acted; null for the system (extraction, expiry). */
  actor_id: string | null;
  action: AuditAction;
  item_id: string | null;
  before: MemoryItem | null;
  after: MemoryItem | null;
  reason: string | null;
}

export interface AuditWrite {
  actorId: string | null;
  action: AuditAction;
  itemId: string | null;
  before: MemoryItem | null;
  after: MemoryItem | null;
  reason?: string | null;
  at: Date;
}

const AUDIT_ROW = '(?, ?::TIMESTAMP, ?, ?, ?, ?::JSON, ?::JSON, ?)';
const INSERT_AUDIT = (values: string) => `INSERT INTO memory_audit (id, "at", actor_id, action, item_id, before, after, reason) VALUES ${values}`;

/**
 * Writes audit rows inside the caller's transaction, so the changes and their record commit
 * together. Their `seq` follows the order given (DuckDB numbers a VALUES list in order).
 */
export async function writeAudits(tx: SqlStatements, entries: readonly AuditWrite[]): Promise<void> {
  await runRows(tx, entries, AUDIT_ROW, INSERT_AUDIT, (a) => [
    randomUUID(),
    ts(a.at),
    a.actorId,
    a.action,
    a.itemId,
    a.before ? JSON.stringify(a.before) : null,
    a.after ? JSON.stringify(a.after) : null,
    a.reason ?? null,
  ]);
}

/** Writes one audit row inside the caller's transaction. */
export const writeAudit = (tx: SqlStatements, a: AuditWrite): Promise<void> => writeAudits(tx, [a]);

function entryFromRow(r: Row): AuditEntry {
  return {
    id: String(r.id),
    at: asDate(r.at),
    actor_id: r.actor_id === null ? null : String(r.actor_id),
    action: String(r.action) as AuditAction,
    item_id: r.item_id === null ? null : String(r.item_id),
    before: parseJson<MemoryItem | null>(r.before, null),
    after: parseJson<MemoryItem | null>(r.after, null),
    reason: r.reason === null ? null : String(r.reason),
  };
}

const COLUMNS = 'a.id, a."at", a.actor_id, a.action, a.item_id, a.before, a.after, a.reason';
/** Rows about personal items stay out of the shared audit: their before/after would show the item. */
const NOT_PERSONAL = 'NOT EXISTS (SELECT 1 FROM memory_items p WHERE p.id = a.item_id AND p.personal)';

/** Reads of the governance audit. */
export class MemoryAudit {
  constructor(private readonly db: MemoryDb) {}

  /** The audit newest first, optionally of one item, without rows about personal items. */
  async list(o: { itemId?: string; action?: string; limit: number; offset: number }): Promise<{ entries: AuditEntry[]; total: number }> {
    const where = [NOT_PERSONAL];
    const params: string[] = [];
    if (o.itemId) {
      where.push('a.item_id = ?');
      params.push(o.itemId);
    }
    if (o.action) {
      where.push('a.action = ?');
      params.push(o.action);
    }
    const clause = where.join(' AND ');
    const rows = await this.db.all(
      `SELECT ${COLUMNS} FROM memory_audit a WHERE ${clause} ORDER BY a.seq DESC LIMIT ${int(o.limit)} OFFSET ${int(o.offset)}`,
      params,
    );
    const [{ n }] = await this.db.all<{ n: number }>(`SELECT count(*) AS n FROM memory_audit a WHERE ${clause}`, params);
    return { entries: rows.map(entryFromRow), total: Number(n) };
  }

  /** Records something that changed no item (`extract_drop`), outside any transaction of the caller. */
  async record(a: { actorId: string | null; action: AuditAction; reason: string; at?: Date }): Promise<void> {
    await writeAudit(this.db, { actorId: a.actorId, action: a.action, itemId: null, before: null, after: null, reason: a.reason, at: a.at ?? new Date() });
  }

  /** One item's history, oldest first (the caller has checked the item is visible). */
  async history(itemId: string): Promise<AuditEntry[]> {
    const rows = await this.db.all(`SELECT ${COLUMNS} FROM memory_audit a WHERE a.item_id = ? ORDER BY a.seq`, [itemId]);
    return rows.map(entryFromRow);
  }
}
