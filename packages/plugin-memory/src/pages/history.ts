import type { AuditEntry } from '../store/index.js';
import type { MemoryItem } from '../store/types.js';

/** One line of an item's history as its page shows it. */
export interface HistoryRow {
  at: Date;
  action: string;
  /** 'you', 'system' (extraction, expiry) or the actor's user id: the audit keeps ids, not emails. */
  who: string;
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

export function historyRows(entries: readonly AuditEntry[], viewerId: string): HistoryRow[] {
  return entries.map((e) => ({
    at: e.at,
    action: e.action.replace('_', ' '),
    who: e.actor_id === null ? 'system' : e.actor_id === viewerId ? 'you' : e.actor_id,
    reason: e.reason,
    changes: changesOf(e.before, e.after),
  }));
}
