import { randomUUID } from 'node:crypto';
import type { ApprovalMode } from '../config.js';
import { writeAudit } from './audit.js';
import { int, ts, type MemoryDb } from './db.js';
import { ExtractionBatch, type ExtractedItem, type UpsertResult } from './extraction-batch.js';
import { loadItem } from './load.js';
import { ITEM_COLUMNS, itemWithVotesFromRow, VISIBLE_TO, VOTE_COLUMNS, VOTE_JOIN } from './rows.js';
import type { ItemStatus, ItemWithVotes, MemoryItem } from './types.js';
import { insertItem, updateItem } from './write.js';

export interface StoreOptions {
  /** `confidence.half_life` in milliseconds. */
  halfLifeMs: number;
  /** The clock; tests of age and expiry pass their own. */
  now?: () => Date;
}

export interface ListFilter {
  status?: ItemStatus;
  category?: string;
  /** Words in the title or content, case-insensitive. */
  search?: string;
  limit: number;
  offset: number;
}

export interface NewItem {
  title: string;
  content: string;
  category: string;
  tags?: readonly string[];
  /** The proposer; for a personal item, its only reader. */
  ownerId: string;
  /** Who the item came from (the proposer's email for a proposal). */
  sourceUsers?: readonly string[];
  personal?: boolean;
  expiresAt?: Date | null;
}

/** An item the extraction's dedupe compares new candidates against. */
export interface DedupeCandidate {
  id: string;
  title: string;
  content: string;
  category: string;
  tags: string[];
  status: ItemStatus;
}

export interface MemoryStats {
  /** Items that are not personal. */
  total: number;
  required: number;
  by_status: Record<ItemStatus, number>;
  by_category: Record<string, number>;
}

/** Knowledge items: lists, reads, proposals and the extraction's upserts. Governance is in governance.ts. */
export class MemoryItems {
  private readonly now: () => Date;

  constructor(
    private readonly db: MemoryDb,
    private readonly options: StoreOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** Items `viewerId` may see (no one else's personal items), filtered, newest change first, with votes. */
  async list(viewerId: string, f: ListFilter): Promise<{ items: ItemWithVotes[]; total: number }> {
    const where = [VISIBLE_TO];
    const params: (string | boolean)[] = [viewerId];
    if (f.status) {
      where.push('i.status = ?');
      params.push(f.status);
    }
    if (f.category) {
      where.push('i.category = ?');
      params.push(f.category);
    }
    for (const word of (f.search ?? '').toLowerCase().split(/\s+/).filter(Boolean)) {
      // strpos() takes the word literally: no LIKE wildcards to escape.
      where.push("strpos(lower(i.title || ' ' || i.content), ?) > 0");
      params.push(word);
    }
    const clause = where.join(' AND ');
    const rows = await this.db.all(
      `SELECT ${ITEM_COLUMNS}, ${VOTE_COLUMNS} FROM memory_items i ${VOTE_JOIN} WHERE ${clause}
       ORDER BY i.updated_at DESC, i.id LIMIT ${int(f.limit)} OFFSET ${int(f.offset)}`,
      [viewerId, ...params],
    );
    const [{ n }] = await this.db.all<{ n: number }>(`SELECT count(*) AS n FROM memory_items i WHERE ${clause}`, params);
    const now = this.now();
    return { items: rows.map((r) => itemWithVotesFromRow(r, now, this.options.halfLifeMs)), total: Number(n) };
  }

  /** One item with its votes, if `viewerId` may see it. */
  async get(viewerId: string, id: string): Promise<ItemWithVotes | undefined> {
    const [row] = await this.db.all(`SELECT ${ITEM_COLUMNS}, ${VOTE_COLUMNS} FROM memory_items i ${VOTE_JOIN} WHERE i.id = ? AND ${VISIBLE_TO}`, [
      viewerId,
      id,
      viewerId,
    ]);
    return row ? itemWithVotesFromRow(row, this.now(), this.options.halfLifeMs) : undefined;
  }

  /** Pending items that are not personal, oldest first: the review queue. */
  async pending(page: { limit: number; offset: number }, viewerId: string): Promise<{ items: ItemWithVotes[]; total: number }> {
    const rows = await this.db.all(
      `SELECT ${ITEM_COLUMNS}, ${VOTE_COLUMNS} FROM memory_items i ${VOTE_JOIN} WHERE i.status = 'pending' AND NOT i.personal
       ORDER BY i.created_at, i.id LIMIT ${int(page.limit)} OFFSET ${int(page.offset)}`,
      [viewerId],
    );
    const [{ n }] = await this.db.all<{ n: number }>("SELECT count(*) AS n FROM memory_items WHERE status = 'pending' AND NOT personal");
    const now = this.now();
    return { items: rows.map((r) => itemWithVotesFromRow(r, now, this.options.halfLifeMs)), total: Number(n) };
  }

  /**
   * A new item: a proposal (pending, confidence 0.5, audited as `propose`) or, with
   * `personal`, an item only its owner sees (audited as `create`).
   */
  async create(n: NewItem): Promise<MemoryItem> {
    const now = this.now();
    const item: MemoryItem = {
      id: randomUUID(),
      title: n.title,
      content: n.content,
      category: n.category,
      tags: [...new Set(n.tags ?? [])],
      status: 'pending',
      required: false,
      personal: n.personal ?? false,
      owner_id: n.ownerId,
      confidence: 0.5,
      source_users: [...new Set(n.sourceUsers ?? [])],
      sources: [],
      source_type: 'user_proposal',
      created_at: now,
      updated_at: now,
      expires_at: n.expiresAt ?? null,
    };
    await this.db.transaction(async (tx) => {
      await insertItem(tx, item);
      await writeAudit(tx, { actorId: n.ownerId, action: item.personal ? 'create' : 'propose', itemId: item.id, before: null, after: item, at: now });
    });
    return item;
  }

  /**
   * Stores one note's extraction in one transaction: `fill` upserts its items, records its
   * dropped candidates and marks the note (ExtractionBatch); the batch's writes commit together,
   * or, when `fill` or a write throws, none of them.
   */
  async saveExtraction<T>(approval: ApprovalMode, fill: (batch: ExtractionBatch) => Promise<T>): Promise<T> {
    const now = this.now();
    return this.db.transaction(async (tx) => {
      const batch = new ExtractionBatch(tx, { approval, now, halfLifeMs: this.options.halfLifeMs });
      const out = await fill(batch);
      await batch.flush();
      return out;
    });
  }

  /** Stores one extracted item in a transaction of its own (ExtractionBatch.upsert says how). */
  upsertExtracted(e: ExtractedItem, approval: ApprovalMode): Promise<UpsertResult> {
    return this.saveExtraction(approval, (batch) => batch.upsert(e));
  }

  /** Every shared (non-personal) item, for the extraction's near-duplicate check and the model's catalogue. */
  async dedupeCandidates(): Promise<DedupeCandidate[]> {
    const rows = await this.db.all('SELECT id, title, content, category, tags, status FROM memory_items WHERE NOT personal ORDER BY created_at, id');
    return rows.map((r) => ({
      id: String(r.id),
      title: String(r.title),
      content: String(r.content),
      category: String(r.category),
      tags: Array.isArray(r.tags) ? r.tags.map(String) : [],
      status: String(r.status) as ItemStatus,
    }));
  }

  /** Counts by status and category. Personal items are not counted, not even for their owner: stats describe what is shared. */
  async stats(): Promise<MemoryStats> {
    const rows = await this.db.all<{ status: string; category: string; required: boolean; n: number }>(
      'SELECT status, category, required, count(*) AS n FROM memory_items WHERE NOT personal GROUP BY status, category, required',
    );
    const stats: MemoryStats = { total: 0, required: 0, by_status: { pending: 0, approved: 0, rejected: 0, revoked: 0, expired: 0 }, by_category: {} };
    for (const r of rows) {
      const n = Number(r.n);
      stats.total += n;
      if (r.required) stats.required += n;
      stats.by_status[r.status as ItemStatus] += n;
      stats.by_category[r.category] = (stats.by_category[r.category] ?? 0) + n;
    }
    return stats;
  }

  /** Approved items whose `expires_at` has passed become `expired`, each with an audit row. Returns how many. */
  async expireDue(): Promise<number> {
    const now = this.now();
    return this.db.transaction(async (tx) => {
      const due = await tx.all<{ id: string }>(
        "SELECT id FROM memory_items WHERE status = 'approved' AND expires_at IS NOT NULL AND expires_at <= ?::TIMESTAMP",
        [ts(now)],
      );
      for (const { id } of due) {
        const before = await loadItem(tx, id);
        if (!before) continue;
        const after: MemoryItem = { ...before, status: 'expired', required: false };
        await updateItem(tx, after);
        await writeAudit(tx, { actorId: null, action: 'expire', itemId: id, before, after, at: now });
      }
      return due.length;
    });
  }
}
