import { createHash, randomUUID } from 'node:crypto';
import type { ApprovalMode } from '../config.js';
import { writeAudit } from './audit.js';
import { int, ts, type MemoryDb } from './db.js';
import { confidenceNow, loadItem } from './load.js';
import { ITEM_COLUMNS, itemWithVotesFromRow, VISIBLE_TO, VOTE_COLUMNS, VOTE_JOIN } from './rows.js';
import type { ItemStatus, ItemWithVotes, MemoryItem, NoteRef } from './types.js';
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

/** What the extraction hands over for one item, after scrubbing, sensitivity and dedupe. */
export interface ExtractedItem {
  /** The item a near-duplicate merges into; its id and governance fields stay. */
  existingId?: string | null;
  title: string;
  content: string;
  category: string;
  tags: readonly string[];
  sourceUsers: readonly string[];
  sources: readonly NoteRef[];
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

const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];
/** One note reference per user: the newest version of their note replaces the older one. */
function mergeSources(a: readonly NoteRef[], b: readonly NoteRef[]): NoteRef[] {
  const byUser = new Map(a.map((s) => [s.user_id, s]));
  for (const s of b) byUser.set(s.user_id, s);
  return [...byUser.values()];
}
const sameList = (a: readonly unknown[], b: readonly unknown[]) => JSON.stringify(a) === JSON.stringify(b);

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
      // contains() takes the word literally: no LIKE wildcards to escape.
      where.push("contains(lower(i.title || ' ' || i.content), ?)");
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
   * Stores one extracted item. With an `existingId` that names a shared item, that item is
   * updated (title, content, category, tags; source users and notes are merged in) and keeps
   * its id, status, required flag and owner: a database update never changes status. Otherwise
   * a new item, `km_` + 12 hex of its content hash, pending under `review` and approved under
   * `auto`. Nothing is written when the merge changes nothing, so re-running is a no-op.
   */
  async upsertExtracted(e: ExtractedItem, approval: ApprovalMode): Promise<{ id: string; created: boolean; changed: boolean }> {
    const now = this.now();
    return this.db.transaction(async (tx) => {
      const hashId = `km_${createHash('sha256').update(`${e.title}\n${e.content}`).digest('hex').slice(0, 12)}`;
      let existing = e.existingId ? await loadItem(tx, e.existingId) : undefined;
      // The same text again merges into its item; a personal item is never merged into (its owner alone sees it).
      existing ??= await loadItem(tx, hashId);
      if (existing?.personal) existing = undefined;
      if (existing) {
        const next: MemoryItem = {
          ...existing,
          title: e.title,
          content: e.content,
          category: e.category,
          tags: [...new Set(e.tags)],
          source_users: union(existing.source_users, e.sourceUsers),
          sources: mergeSources(existing.sources, e.sources),
        };
        const changed =
          next.title !== existing.title ||
          next.content !== existing.content ||
          next.category !== existing.category ||
          !sameList(next.tags, existing.tags) ||
          !sameList(next.source_users, existing.source_users) ||
          !sameList(next.sources, existing.sources);
        if (!changed) return { id: existing.id, created: false, changed: false };
        next.updated_at = now;
        next.confidence = await confidenceNow(tx, next, now, this.options.halfLifeMs);
        await updateItem(tx, next);
        await writeAudit(tx, { actorId: null, action: 'extract_update', itemId: next.id, before: existing, after: next, at: now });
        return { id: next.id, created: false, changed: true };
      }
      const taken = await loadItem(tx, hashId);
      const item: MemoryItem = {
        id: taken ? `km_${randomUUID().replace(/-/g, '').slice(0, 12)}` : hashId,
        title: e.title,
        content: e.content,
        category: e.category,
        tags: [...new Set(e.tags)],
        status: approval === 'auto' ? 'approved' : 'pending',
        required: false,
        personal: false,
        owner_id: null,
        confidence: 0,
        source_users: [...new Set(e.sourceUsers)],
        sources: mergeSources([], e.sources),
        source_type: 'claude_local_md',
        created_at: now,
        updated_at: now,
        expires_at: null,
      };
      item.confidence = await confidenceNow(tx, item, now, this.options.halfLifeMs);
      await insertItem(tx, item);
      await writeAudit(tx, { actorId: null, action: 'extract_create', itemId: item.id, before: null, after: item, at: now });
      return { id: item.id, created: true, changed: true };
    });
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
      'SELECT status, category, required, count(*) AS n FROM memory_items WHERE NOT personal GROUP BY ALL',
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
