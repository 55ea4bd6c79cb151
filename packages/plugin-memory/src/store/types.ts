/** The lifecycle of a knowledge item. Being required (a mandate) is a flag beside it, not a status. */
export const ITEM_STATUSES = ['pending', 'approved', 'rejected', 'revoked', 'expired'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

/**
 * Where an item came from: a note (extraction), a proposal through the API, or an admin's
 * mandate. Confidence starts from it (see confidence.ts).
 */
export type SourceType = 'claude_local_md' | 'user_proposal' | 'admin_mandate';

/** One note an item was extracted from: whose, and which version of it. */
export interface NoteRef {
  user_id: string;
  sha256: string;
}

/** A knowledge item as stored. */
export interface MemoryItem {
  id: string;
  title: string;
  content: string;
  category: string;
  tags: string[];
  status: ItemStatus;
  required: boolean;
  /** Seen by its owner only: never listed, counted, voted on or bundled for anyone else. */
  personal: boolean;
  /** The proposer or the personal item's owner; null for items extracted from notes. */
  owner_id: string | null;
  /** Derived in code from votes, sources and age, never by a model (confidence.ts). */
  confidence: number;
  source_users: string[];
  sources: NoteRef[];
  source_type: SourceType;
  created_at: Date;
  updated_at: Date;
  expires_at: Date | null;
}

/** The votes on one item, and the caller's own (0: none). */
export interface VoteTally {
  upvotes: number;
  downvotes: number;
  /** upvotes − downvotes */
  score: number;
  my_vote: -1 | 0 | 1;
}

export type ItemWithVotes = MemoryItem & VoteTally;

/** The governance actions an admin takes on an item, one by one or in a batch. */
export const GOVERNANCE_ACTIONS = ['approve', 'reject', 'mandate', 'revoke'] as const;
export type GovernanceAction = (typeof GOVERNANCE_ACTIONS)[number];
