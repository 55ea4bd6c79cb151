import type { NamedActor } from '../actors.js';
import type { AuditEntry } from '../store/index.js';
import type { MemoryItem } from '../store/types.js';

/** One line of an item's history as its page shows it. */
export interface HistoryRow {
  at: Date;
  action: string;
  /** 'you', 'system' (extraction, expiry), or the actor's name (else email); their id when the user is gone. */
  who: string;
  /** `who` is the id of a user who no longer exists. */
  gone: boolean;
  reason: string | null;
  changes: string[];
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

/** What an audit row changed, in words: status and required as before → after, text fields by name. */
export function changesOf(before: MemoryItem | null, after: MemoryItem | null): string[] {
  if (!before || !after) return [];
  const out: string[] = [];
  if (before.status !== after.status) out.push(`status ${before.status} → ${after.status}`);
  if (before.required !== after.required) out.push(`required ${yesNo(before.required)} → ${yesNo(after.required)}`);
  if (before.category !== after.category) out.push(`category ${before.category} → ${after.category}`);
  for (const field of ['title', 'content'] as const) if (before[field] !== after[field]) out.push(`${field} changed`);
  if (JSON.stringify(before.tags) !== JSON.stringify(after.tags)) out.push('tags changed');
  if (JSON.stringify(before.source_users) !== JSON.stringify(after.source_users)) out.push('contributors added');
  return out;
}

/** The page's history rows; `actors` names the actor ids (actorNames). */
export function historyRows(entries: readonly AuditEntry[], viewerId: string, actors: ReadonlyMap<string, NamedActor>): HistoryRow[] {
  return entries.map((e) => {
    const actor = e.actor_id === null ? { name: 'system', gone: false } : e.actor_id === viewerId ? { name: 'you', gone: false } : actors.get(e.actor_id);
    return {
      at: e.at,
      action: e.action.replace('_', ' '),
      who: actor?.name ?? e.actor_id!,
      gone: actor?.gone ?? true,
      reason: e.reason,
      changes: changesOf(e.before, e.after),
    };
  });
}
