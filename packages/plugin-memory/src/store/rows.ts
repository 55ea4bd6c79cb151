import { asDate, asDateOrNull, asStrings, parseJson, type Row } from './db.js';
import { computeConfidence } from './confidence.js';
import type { ItemStatus, ItemWithVotes, MemoryItem, NoteRef, SourceType } from './types.js';

/** The item columns every read selects, qualified by the alias `i`. */
export const ITEM_COLUMNS =
  'i.id, i.title, i.content, i.category, i.tags, i.status, i.required, i.personal, i.owner_id, i.confidence, i.source_users, i.sources, i.source_type, i.created_at, i.updated_at, i.expires_at';

/** The caller's own vote, joined to `i`: `?` is the caller's id. The counts are on the item (votes.ts keeps them). */
export const VOTE_JOIN = 'LEFT JOIN memory_votes mv ON mv.item_id = i.id AND mv.user_id = ?';
export const VOTE_COLUMNS = 'i.upvotes, i.downvotes, coalesce(mv.vote, 0) AS my_vote';

/** Who may see an item: anyone unless it is personal, then its owner only (admins included). `?` is the caller's id. */
export const VISIBLE_TO = '(NOT i.personal OR i.owner_id = ?)';

export function itemFromRow(r: Row): MemoryItem {
  return {
    id: String(r.id),
    title: String(r.title),
    content: String(r.content),
    category: String(r.category),
    tags: asStrings(r.tags),
    status: String(r.status) as ItemStatus,
    required: r.required === true,
    personal: r.personal === true,
    owner_id: r.owner_id === null || r.owner_id === undefined ? null : String(r.owner_id),
    confidence: Number(r.confidence),
    source_users: asStrings(r.source_users),
    sources: parseJson<NoteRef[]>(r.sources, []),
    source_type: String(r.source_type) as SourceType,
    created_at: asDate(r.created_at),
    updated_at: asDate(r.updated_at),
    expires_at: asDateOrNull(r.expires_at),
  };
}

/**
 * An item with its votes; confidence is computed now, from the votes and the item's age, so
 * it decays between writes too (the stored column is what it was at the last write).
 */
export function itemWithVotesFromRow(r: Row, now: Date, halfLifeMs: number): ItemWithVotes {
  const item = itemFromRow(r);
  const upvotes = Number(r.upvotes ?? 0);
  const downvotes = Number(r.downvotes ?? 0);
  const mine = Number(r.my_vote ?? 0);
  return {
    ...item,
    confidence: computeConfidence({
      sourceType: item.source_type,
      required: item.required,
      sourceUsers: new Set(item.source_users).size,
      upvotes,
      downvotes,
      updatedAt: item.updated_at,
      now,
      halfLifeMs,
    }),
    upvotes,
    downvotes,
    score: upvotes - downvotes,
    my_vote: mine > 0 ? 1 : mine < 0 ? -1 : 0,
  };
}
