import { isAidaError } from '@aida/core';
import { MemoryItemNotFoundError, MemoryTransitionError } from '../errors.js';
import { writeAudit } from './audit.js';
import type { MemoryDb, SqlStatements } from './db.js';
import type { StoreOptions } from './items.js';
import { confidenceNow, loadItem } from './load.js';
import type { GovernanceAction, ItemStatus, MemoryItem } from './types.js';
import { updateItem } from './write.js';

/** What an admin may change of an item's text; status and flags only change through the actions. */
export interface ItemEdit {
  title?: string;
  content?: string;
  category?: string;
  tags?: readonly string[];
}

export interface BatchOutcome {
  done: string[];
  failed: { item_id: string; code: string; message: string }[];
}

/**
 * Which statuses each action applies to. Reject is for proposals (an approved item is revoked
 * instead); revoke is for approved items; approve and mandate bring back rejected, revoked and
 * expired ones too. Mandating an approved item that is not yet required is what makes it required.
 */
const FROM: Record<GovernanceAction, readonly ItemStatus[]> = {
  approve: ['pending', 'rejected', 'revoked', 'expired'],
  reject: ['pending'],
  mandate: ['pending', 'approved', 'rejected', 'revoked', 'expired'],
  revoke: ['approved'],
};

/** Approve, reject, mandate, revoke, edit and batch: each in a transaction with its audit row (before and after). */
export class Governance {
  private readonly now: () => Date;

  constructor(
    private readonly db: MemoryDb,
    private readonly options: StoreOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** One action on one item by `actorId`; answers the item after it. */
  act(actorId: string, action: GovernanceAction, itemId: string, reason?: string): Promise<MemoryItem> {
    return this.db.transaction((tx) => this.apply(tx, actorId, action, itemId, reason));
  }

  /** Changes an item's title, content, category or tags; its status and flags stay. */
  edit(actorId: string, itemId: string, edit: ItemEdit, reason?: string): Promise<MemoryItem> {
    const now = this.now();
    return this.db.transaction(async (tx) => {
      const before = await this.shared(tx, itemId);
      const after: MemoryItem = {
        ...before,
        title: edit.title ?? before.title,
        content: edit.content ?? before.content,
        category: edit.category ?? before.category,
        tags: edit.tags ? [...new Set(edit.tags)] : before.tags,
        updated_at: now,
      };
      after.confidence = await confidenceNow(tx, after, now, this.options.halfLifeMs);
      await updateItem(tx, after);
      await writeAudit(tx, { actorId, action: 'edit', itemId, before, after, reason, at: now });
      return after;
    });
  }

  /**
   * One action on many items, in one transaction: each item that the action applies to is
   * changed and audited; the others are reported in `failed` with the reason and left alone.
   */
  batch(actorId: string, action: GovernanceAction, itemIds: readonly string[], reason?: string): Promise<BatchOutcome> {
    return this.db.transaction(async (tx) => {
      const out: BatchOutcome = { done: [], failed: [] };
      for (const id of new Set(itemIds)) {
        try {
          await this.apply(tx, actorId, action, id, reason);
          out.done.push(id);
        } catch (e) {
          if (!isAidaError(e)) throw e;
          out.failed.push({ item_id: id, code: e.code, message: e.message });
        }
      }
      return out;
    });
  }

  private async apply(tx: SqlStatements, actorId: string, action: GovernanceAction, itemId: string, reason?: string): Promise<MemoryItem> {
    const now = this.now();
    const before = await this.shared(tx, itemId);
    if (!canApply(action, before)) {
      throw new MemoryTransitionError(`Cannot ${action} item ${itemId}: it is ${before.required ? 'required and ' : ''}${before.status}`, {
        detail: { id: itemId, action, status: before.status, required: before.required },
      });
    }
    const after: MemoryItem = { ...before };
    if (action === 'approve' || action === 'mandate') {
      after.status = 'approved';
      // Brought back from expiry: without this it would expire again at once.
      if (before.status === 'expired') after.expires_at = null;
    }
    if (action === 'mandate') after.required = true;
    if (action === 'reject') after.status = 'rejected';
    if (action === 'revoke') {
      after.status = 'revoked';
      after.required = false;
    }
    after.confidence = await confidenceNow(tx, after, now, this.options.halfLifeMs);
    await updateItem(tx, after);
    await writeAudit(tx, { actorId, action, itemId, before, after, reason, at: now });
    return after;
  }

  /** A shared item: someone's personal item is not governed by anyone (and not found, for admins too). */
  private async shared(tx: SqlStatements, itemId: string): Promise<MemoryItem> {
    const item = await loadItem(tx, itemId);
    if (!item || item.personal) throw new MemoryItemNotFoundError(`No knowledge item ${itemId}`, { detail: { id: itemId } });
    return item;
  }
}

/** Whether `action` applies to an item in this state: its status allows it, and a mandate is not repeated. The item page shows only these buttons. */
export function canApply(action: GovernanceAction, item: Pick<MemoryItem, 'status' | 'required'>): boolean {
  return FROM[action].includes(item.status) && !(action === 'mandate' && item.status === 'approved' && item.required);
}
