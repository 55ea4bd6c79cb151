import type { ApplyResult, StoreOp, StoredIssue } from '../store/types.js';

/** What the engine reads and writes through the store (JiraStore implements it). */
export interface StoreAccess {
  apply(ops: StoreOp[]): Promise<ApplyResult>;
  listStored(filter?: { keys?: string[]; openOnly?: boolean; updatedSince?: Date }): Promise<StoredIssue[]>;
  /** Keys of the issues holding these stored attachment ids. */
  issueKeysOfAttachments(attachmentIds: readonly string[]): Promise<string[]>;
  /** Stored issue id → key, for the ids known. */
  issueKeysByIds(issueIds: readonly string[]): Promise<Map<string, string>>;
}
