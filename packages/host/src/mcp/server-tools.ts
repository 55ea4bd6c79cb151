// The tools only the server's MCP offers, beside the shared read tools of @aida/core (MCP_TOOLS):
// they ask the server for something (access, a knowledge item) or read what only it holds
// (the corporate memory). Same shape as the shared definitions: one-line descriptions, input and
// output schemas, annotations.
import { z } from 'zod';
import type { McpToolAnnotations, McpToolDefinition } from '@aida/core';

const paging = {
  offset: z.number().int().describe('Index of the first item of this page in the whole answer'),
  truncated: z.boolean().describe('More items follow: ask again with `cursor`'),
  cursor: z.string().nullable().describe('Send it back for the next page; null on the last page'),
  note: z.string().optional(),
};

/** Files something for a person to decide: not read-only, not destructive, and asking twice is refused rather than repeated. */
const ASKS: McpToolAnnotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };
const READS: McpToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

export const knowledgeItemSchema = z.object({
  id: z.string(),
  title: z.string(),
  content: z.string(),
  category: z.string(),
  required: z.boolean().describe('Mandated by an admin: always follow it'),
});

export const requestAccessInput = z.object({
  table: z.string().min(1).max(300).describe('Table id you cannot read yet'),
  reason: z.string().max(2000).optional().describe('Why you need it, for the admin who decides'),
});
export const requestAccessOutput = z.object({
  id: z.string(),
  table_id: z.string(),
  status: z.string().describe('pending until an admin approves or denies'),
  created_at: z.string(),
});

export const getKnowledgeInput = z.object({
  search: z.string().trim().min(1).max(200).optional().describe('Words that must all appear; omit for the rules every agent gets'),
  cursor: z.string().min(1).max(4_000).optional().describe('The cursor of the previous page, sent alone for the next page'),
});
export const getKnowledgeOutput = z.object({
  items: z.array(knowledgeItemSchema),
  count: z.number().int(),
  total: z.number().int(),
  ...paging,
});

export const proposeKnowledgeOutput = z.object({ id: z.string(), status: z.string().describe('pending until a knowledge admin reviews it') });

function tool<I extends z.ZodObject, O extends z.ZodObject>(
  d: Omit<McpToolDefinition<I, O>, 'annotations'>,
  hints: McpToolAnnotations,
): McpToolDefinition<I, O> {
  return { ...d, annotations: { title: d.title, ...hints } };
}

export const SERVER_TOOLS = {
  request_access: tool(
    {
      name: 'request_access',
      title: 'Ask for access to a table',
      description: 'File a request for read access to a table you cannot read; an admin approves or denies it.',
      inputSchema: requestAccessInput,
      outputSchema: requestAccessOutput,
    },
    ASKS,
  ),
  get_knowledge: tool(
    {
      name: 'get_knowledge',
      title: 'Read corporate knowledge',
      description: "The team's approved rules and facts about the data (required ones first); search by words.",
      inputSchema: getKnowledgeInput,
      outputSchema: getKnowledgeOutput,
    },
    READS,
  ),
  /** Its input schema is the memory plugin's own proposal schema when the plugin is installed (see knowledge.ts). */
  propose_knowledge: {
    name: 'propose_knowledge',
    title: 'Propose a knowledge item',
    description: 'Propose a rule or fact about the data for the team; it waits for a knowledge admin to review it.',
    outputSchema: proposeKnowledgeOutput,
    annotations: { title: 'Propose a knowledge item', ...ASKS },
  },
} as const;
