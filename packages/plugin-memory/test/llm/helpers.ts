import { z } from 'zod';
import type { LlmProvider, LlmRequest } from '@aida/core';
import { KNOWLEDGE_CATEGORIES, createProvider, parseLlmConfig, type LlmConfig } from '../../src/index.js';

/** The shape corporate memory asks for: what the extraction job will send. */
export const itemsSchema = z.strictObject({
  items: z.array(
    z.strictObject({
      existing_id: z.string().nullable(),
      title: z.string().min(1),
      content: z.string().min(1),
      category: z.enum(KNOWLEDGE_CATEGORIES),
      tags: z.array(z.string()),
      source_users: z.array(z.string()),
    }),
  ),
});
export type Items = z.infer<typeof itemsSchema>;

export const goodAnswer: Items = {
  items: [
    {
      existing_id: null,
      title: 'Revenue excludes refunds',
      content: 'Use net_amount from orders; gross_amount still includes refunded orders.',
      category: 'business_logic',
      tags: ['revenue'],
      source_users: ['ana@example.com'],
    },
  ],
};

/** Valid JSON, wrong shape: a category outside the enum and a missing title. */
export const invalidAnswer = {
  items: [{ existing_id: null, content: 'x', category: 'gossip', tags: [], source_users: [] }],
};

export function itemsRequest(over: Partial<LlmRequest<Items>> = {}): LlmRequest<Items> {
  return {
    system: 'Extract durable knowledge items from the analyst notes.',
    messages: [{ role: 'user', content: '# Sales\n- Revenue excludes refunds: use net_amount.' }],
    schema: itemsSchema,
    schemaName: 'knowledge_items',
    maxTokens: 1024,
    ...over,
  };
}

/** Retry timing small enough for tests; retry-after up to 5 s is waited for. */
export const fastRetry = { baseDelayMs: 10, maxDelayMs: 40, maxRetryAfterMs: 5000 };

/** A provider built the way the plugin builds it: config validated against `env`, then `createProvider`. */
export function providerFrom(raw: Record<string, unknown>, env: Record<string, string>): { provider: LlmProvider; config: LlmConfig } {
  const config = parseLlmConfig(raw, env);
  const backend = createProvider(config, { retry: fastRetry });
  if (backend.kind !== 'llm') throw new Error(`expected an LLM backend, got ${backend.kind}`);
  return { provider: backend.provider, config };
}

/** The rejection of `promise` (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
