import { MemoryAudit } from './audit.js';
import type { MemoryDb } from './db.js';
import { Governance } from './governance.js';
import { MemoryItems, type StoreOptions } from './items.js';
import { MemoryNoteState } from './note-state.js';
import { MemoryVotes } from './votes.js';

/** The corporate memory's tables, one repository each, over one database. */
export class MemoryStore {
  readonly items: MemoryItems;
  readonly votes: MemoryVotes;
  readonly governance: Governance;
  readonly audit: MemoryAudit;
  readonly notes: MemoryNoteState;

  constructor(
    readonly db: MemoryDb,
    readonly options: StoreOptions,
  ) {
    this.items = new MemoryItems(db, options);
    this.votes = new MemoryVotes(db, options);
    this.governance = new Governance(db, options);
    this.audit = new MemoryAudit(db);
    this.notes = new MemoryNoteState(db, options.now);
  }

  /** When the clock is the store's (tests pass their own). */
  now(): Date {
    return this.options.now?.() ?? new Date();
  }
}

export { memoryMigrations } from './migrations.js';
export type { MemoryDb } from './db.js';
export type { AuditAction, AuditEntry } from './audit.js';
export type { DedupeCandidate, ListFilter, MemoryStats, NewItem, StoreOptions } from './items.js';
export type { ExtractedItem, ExtractionBatch, UpsertResult } from './extraction-batch.js';
export type { BatchOutcome, ItemEdit } from './governance.js';
export type { NoteState, NoteStatus } from './note-state.js';
export type { MyVote } from './votes.js';
export { computeConfidence, type ConfidenceInput } from './confidence.js';
export * from './types.js';
