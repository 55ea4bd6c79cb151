import { createHash, randomUUID } from 'node:crypto';
import type { ApprovalMode } from '../config.js';
import { writeAudits, type AuditWrite } from './audit.js';
import { computeConfidence } from './confidence.js';
import type { SqlStatements } from './db.js';
import { writeNoteState, type NoteMark } from './note-state.js';
import { ITEM_COLUMNS, itemFromRow } from './rows.js';
import type { MemoryItem, NoteRef } from './types.js';
import { insertItems, updateItems } from './write.js';

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

export interface UpsertResult {
  id: string;
  created: boolean;
  changed: boolean;
}

/** An item as the batch holds it: its state now, its votes, and whether the table has it yet. */
interface Held {
  item: MemoryItem;
  upvotes: number;
  downvotes: number;
  stored: boolean;
}

export interface BatchOptions {
  approval: ApprovalMode;
  /** One time for the whole batch: its items' `updated_at` and its audit rows. */
  now: Date;
  halfLifeMs: number;
}

/** The id of a new extracted item: `km_` + 12 hex of its text's hash, so the same text again finds it. */
export const extractedItemId = (title: string, content: string): string =>
  `km_${createHash('sha256').update(`${title}\n${content}`).digest('hex').slice(0, 12)}`;

const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];
/** One note reference per user: the newest version of their note replaces the older one. */
function mergeSources(a: readonly NoteRef[], b: readonly NoteRef[]): NoteRef[] {
  const byUser = new Map(a.map((s) => [s.user_id, s]));
  for (const s of b) byUser.set(s.user_id, s);
  return [...byUser.values()];
}
const sameList = (a: readonly unknown[], b: readonly unknown[]) => JSON.stringify(a) === JSON.stringify(b);

/**
 * One note's extraction results, stored in one transaction: its upserts, the candidates it
 * dropped, and the note's state. Every statement is a round trip through the system
 * database's queue (a millisecond or more each), so the batch reads the items it needs in one
 * statement where it can (`prefetch`), applies the upserts in memory, in order, exactly as one
 * by one (a later candidate sees what an earlier one created or changed), and writes at the
 * end: one INSERT of new items, one UPDATE of changed ones, one INSERT of audit rows, the note
 * state. A failure writes nothing: the transaction rolls back, and the note is tried again.
 */
export class ExtractionBatch {
  /** Items read or created so far; null for an id the table does not have. */
  private readonly held = new Map<string, Held | null>();
  /** Items to write at the end, in the order they were first changed. */
  private readonly changed = new Set<string>();
  private readonly audits: AuditWrite[] = [];
  private note: NoteMark | undefined;

  constructor(
    private readonly tx: SqlStatements,
    private readonly o: BatchOptions,
  ) {}

  /**
   * Reads, in one statement, the items the upserts to come will likely look for: each one's
   * `existingId` and its text's id. Only an optimisation: what is not read here is read when
   * an upsert needs it.
   */
  async prefetch(items: Iterable<Pick<ExtractedItem, 'existingId' | 'title' | 'content'>>): Promise<void> {
    const ids: string[] = [];
    for (const e of items) {
      if (e.existingId) ids.push(e.existingId);
      ids.push(extractedItemId(e.title, e.content));
    }
    await this.read(ids);
  }

  /**
   * Stores one extracted item. With an `existingId` that names a shared item, that item is
   * updated (title, content, category, tags; source users and notes are merged in) and keeps
   * its id, status, required flag and owner: a database update never changes status. Otherwise
   * a new item, `km_` + 12 hex of its content hash, pending under `review` and approved under
   * `auto`. Nothing is written when the merge changes nothing, so re-running is a no-op.
   */
  async upsert(e: ExtractedItem): Promise<UpsertResult> {
    const now = this.o.now;
    const hashId = extractedItemId(e.title, e.content);
    let existing = e.existingId ? await this.get(e.existingId, hashId) : undefined;
    // The same text again merges into its item; a personal item is never merged into (its owner alone sees it).
    existing ??= await this.get(hashId);
    if (existing?.item.personal) existing = undefined;
    if (existing) {
      const before = existing.item;
      const next: MemoryItem = {
        ...before,
        title: e.title,
        content: e.content,
        category: e.category,
        tags: [...new Set(e.tags)],
        source_users: union(before.source_users, e.sourceUsers),
        sources: mergeSources(before.sources, e.sources),
      };
      const changed =
        next.title !== before.title ||
        next.content !== before.content ||
        next.category !== before.category ||
        !sameList(next.tags, before.tags) ||
        !sameList(next.source_users, before.source_users) ||
        !sameList(next.sources, before.sources);
      if (!changed) return { id: before.id, created: false, changed: false };
      next.updated_at = now;
      this.put({ ...existing, item: next });
      next.confidence = this.confidence(next);
      this.audits.push({ actorId: null, action: 'extract_update', itemId: next.id, before, after: next, at: now });
      return { id: next.id, created: false, changed: true };
    }
    const taken = await this.get(hashId);
    const item: MemoryItem = {
      id: taken ? `km_${randomUUID().replace(/-/g, '').slice(0, 12)}` : hashId,
      title: e.title,
      content: e.content,
      category: e.category,
      tags: [...new Set(e.tags)],
      status: this.o.approval === 'auto' ? 'approved' : 'pending',
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
    this.put({ item, upvotes: 0, downvotes: 0, stored: false });
    item.confidence = this.confidence(item);
    this.audits.push({ actorId: null, action: 'extract_create', itemId: item.id, before: null, after: item, at: now });
    return { id: item.id, created: true, changed: true };
  }

  /** A candidate judged unsafe to share: an `extract_drop` audit row with the reason, never the text. */
  drop(reason: string): void {
    this.audits.push({ actorId: null, action: 'extract_drop', itemId: null, before: null, after: null, reason, at: this.o.now });
  }

  /** Records the note's version as done, committed with its items. */
  markNote(mark: Omit<NoteMark, 'at'>): void {
    this.note = { ...mark, at: this.o.now };
  }

  /** Writes everything the batch holds; the caller's transaction commits it. */
  async flush(): Promise<void> {
    const rows = [...this.changed].map((id) => this.held.get(id)!);
    const fresh = rows.filter((h) => !h.stored);
    await insertItems(
      this.tx,
      fresh.map((h) => h.item),
    );
    await updateItems(
      this.tx,
      rows.filter((h) => h.stored).map((h) => h.item),
    );
    await writeAudits(this.tx, this.audits);
    if (this.note) await writeNoteState(this.tx, this.note);
    // Flushed: a later change to the same items is an UPDATE.
    for (const h of fresh) h.stored = true;
    this.changed.clear();
    this.audits.length = 0;
    this.note = undefined;
  }

  /** Votes are counted on the item (votes.ts keeps them), and the batch holds the transaction: they cannot change meanwhile. */
  private confidence(item: MemoryItem): number {
    const h = this.held.get(item.id)!;
    return computeConfidence({
      sourceType: item.source_type,
      required: item.required,
      sourceUsers: new Set(item.source_users).size,
      upvotes: h.upvotes,
      downvotes: h.downvotes,
      updatedAt: item.updated_at,
      now: this.o.now,
      halfLifeMs: this.o.halfLifeMs,
    });
  }

  private put(h: Held): void {
    this.held.set(h.item.id, h);
    this.changed.add(h.item.id);
  }

  /** The item `id`, read now if the batch has not seen it; `alsoRead` ids join the same statement. */
  private async get(id: string, ...alsoRead: string[]): Promise<Held | undefined> {
    if (!this.held.has(id)) await this.read([id, ...alsoRead]);
    return this.held.get(id) ?? undefined;
  }

  /** Reads the items `ids` the batch has not seen, in one statement. */
  private async read(ids: readonly string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.held.has(id));
    if (!missing.length) return;
    const rows = await this.tx.all(
      `SELECT ${ITEM_COLUMNS}, i.upvotes, i.downvotes FROM memory_items i WHERE i.id IN (${missing.map(() => '?').join(', ')})`,
      missing,
    );
    for (const id of missing) this.held.set(id, null);
    for (const r of rows)
      this.held.set(String(r.id), { item: itemFromRow(r), upvotes: Number(r.upvotes ?? 0), downvotes: Number(r.downvotes ?? 0), stored: true });
  }
}
