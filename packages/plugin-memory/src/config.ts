import { zDuration } from '@aida/core';
import { z } from 'zod';
import { llmConfigSchema } from './llm/config.js';

export const memoryConfigSchema = z.strictObject({
  /** Which model extracts knowledge from notes (see llm/config.ts); the offline extractor when not set. */
  llm: llmConfigSchema.prefault({}),
  extract: z
    .strictObject({
      /** When `memory:extract` runs over the notes that changed (cron or human interval). */
      schedule: z.string().min(1).default('*/30 * * * *'),
      /** `review`: new items wait in the review queue (pending); `auto`: they are approved at once. */
      approval: z.enum(['review', 'auto']).default('review'),
    })
    .prefault({}),
  bundle: z
    .strictObject({
      /** Budget of the approved items in `GET /api/memory/bundle`, at 4 characters a token; required items come on top. */
      max_tokens: z.number().int().min(100).max(1_000_000).default(6000),
    })
    .prefault({}),
  confidence: z
    .strictObject({
      /** An item's confidence halves over this time since it last changed. */
      half_life: zDuration({ min: '1d' }).prefault('365d'),
    })
    .prefault({}),
});

export type MemoryConfig = z.output<typeof memoryConfigSchema>;
/** How new items from extraction start: pending review or approved. */
export type ApprovalMode = MemoryConfig['extract']['approval'];
