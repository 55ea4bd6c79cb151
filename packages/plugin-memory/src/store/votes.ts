import { MemoryItemNotFoundError } from '../errors.js';
import { asDate, ts, type MemoryDb } from './db.js';
import { confidenceNow, loadItem } from './load.js';
import type { StoreOptions } from './items.js';
import type { VoteTally } from './types.js';

export interface MyVote {
  item_id: string;
  vote: 1 | -1;
  voted_at: Date;
}

/** One vote per user per item; voting again changes it. */
export class MemoryVotes {
  private readonly now: () => Date;

  constructor(
    private readonly db: MemoryDb,
    private readonly options: StoreOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Records `userId`'s vote on an item they may see and refreshes the item's counts and stored
   * confidence, in one transaction. Someone else's personal item is answered as unknown (404).
   */
  async vote(userId: string, itemId: string, vote: 1 | -1): Promise<VoteTally & { item_id: string }> {
    const now = this.now();
    return this.db.transaction(async (tx) => {
      const item = await loadItem(tx, itemId);
      if (!item || (item.personal && item.owner_id !== userId)) throw new MemoryItemNotFoundError(`No knowledge item ${itemId}`, { detail: { id: itemId } });
      await tx.run(
        `INSERT INTO memory_votes (item_id, user_id, vote, voted_at) VALUES (?, ?, ?, ?::TIMESTAMP)
         ON CONFLICT (item_id, user_id) DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at`,
        [itemId, userId, vote, ts(now)],
      );
      const [t] = await tx.all<{ up: number; down: number }>(
        'SELECT count(*) FILTER (WHERE vote = 1) AS up, count(*) FILTER (WHERE vote = -1) AS down FROM memory_votes WHERE item_id = ?',
        [itemId],
      );
      const upvotes = Number(t.up);
      const downvotes = Number(t.down);
      const confidence = await confidenceNow(tx, item, now, this.options.halfLifeMs);
      await tx.run('UPDATE memory_items SET upvotes = ?, downvotes = ?, confidence = ? WHERE id = ?', [upvotes, downvotes, confidence, itemId]);
      return { item_id: itemId, upvotes, downvotes, score: upvotes - downvotes, my_vote: vote };
    });
  }

  /** The caller's votes, newest first, on items they may still see. */
  async mine(userId: string): Promise<MyVote[]> {
    const rows = await this.db.all(
      `SELECT v.item_id, v.vote, v.voted_at FROM memory_votes v JOIN memory_items i ON i.id = v.item_id
       WHERE v.user_id = ? AND (NOT i.personal OR i.owner_id = ?) ORDER BY v.voted_at DESC, v.item_id`,
      [userId, userId],
    );
    return rows.map((r) => ({ item_id: String(r.item_id), vote: Number(r.vote) > 0 ? 1 : -1, voted_at: asDate(r.voted_at) }));
  }
}
