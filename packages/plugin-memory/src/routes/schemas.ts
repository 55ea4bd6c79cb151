import { isoTimestamp } from '@aida/core';
import { z } from 'zod';
import { KNOWLEDGE_CATEGORIES } from '../llm/offline.js';
import { GOVERNANCE_ACTIONS, ITEM_STATUSES } from '../store/types.js';

/** Response schemas of the memory routes, for /api/openapi.json (times as ISO 8601 text). */
const noteRef = z.object({ user_id: z.string(), sha256: z.string() });

export const itemSchema = z.object({
  id: z.string(),
  title: z.string(),
  content: z.string(),
  category: z.string(),
  tags: z.array(z.string()),
  status: z.enum(ITEM_STATUSES),
  required: z.boolean().meta({ description: 'Mandated by an admin: in every bundle, outside the token budget' }),
  personal: z.boolean().meta({ description: 'Seen by its owner only' }),
  owner_id: z.string().nullable().meta({ description: 'The proposer, or the owner of a personal item' }),
  confidence: z.number().min(0).max(1).meta({ description: 'From votes, sources and age; never set by a model' }),
  source_users: z.array(z.string()),
  sources: z.array(noteRef).meta({ description: 'The notes (user and content hash) the item was extracted from' }),
  source_type: z.enum(['claude_local_md', 'user_proposal', 'admin_mandate']),
  created_at: isoTimestamp,
  updated_at: isoTimestamp,
  expires_at: isoTimestamp.nullable(),
});

export const voteTallySchema = z.object({
  upvotes: z.number().int(),
  downvotes: z.number().int(),
  score: z.number().int().meta({ description: 'upvotes − downvotes' }),
  my_vote: z.union([z.literal(-1), z.literal(0), z.literal(1)]).meta({ description: "The caller's vote; 0 when none" }),
});

export const itemWithVotesSchema = itemSchema.extend(voteTallySchema.shape);

export const auditEntrySchema = z.object({
  id: z.string(),
  at: isoTimestamp,
  actor_id: z.string().nullable().meta({ description: 'Who acted; null for the system (extraction, expiry)' }),
  actor_name: z
    .string()
    .nullable()
    .meta({ description: "The actor for people: the user's name, else their email; the id when the user no longer exists; null for the system" }),
  action: z.string(),
  item_id: z.string().nullable(),
  before: itemSchema.nullable(),
  after: itemSchema.nullable(),
  reason: z.string().nullable(),
});

export const bundleItemSchema = z.object({ id: z.string(), title: z.string(), content: z.string(), category: z.string(), updated_at: isoTimestamp });

/** Input pieces shared by several routes. Proposals and edits pick from the extraction's fixed categories. */
export const categorySchema = z.enum(KNOWLEDGE_CATEGORIES, { error: `category must be one of ${KNOWLEDGE_CATEGORIES.join(', ')}` });
export const tagsSchema = z.array(z.string().trim().min(1).max(50)).max(20);
export const actionSchema = z.enum(GOVERNANCE_ACTIONS, { error: `action must be one of ${GOVERNANCE_ACTIONS.join(', ')}` });
export const reasonSchema = z.string().trim().max(1000).optional();
export const itemIdSchema = z.string().min(1).max(128);
