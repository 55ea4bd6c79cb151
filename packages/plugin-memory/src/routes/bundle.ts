import type { RouteDefinition } from '@aida/core';
import { z } from 'zod';
import { buildBundle } from '../bundle.js';
import type { MemoryStore } from '../store/index.js';
import { bundleItemSchema } from './schemas.js';

/** `GET /api/memory/bundle`: the rules `da sync` writes for the analyst's agent. */
export function bundleRoutes(store: MemoryStore, maxTokens: number): RouteDefinition[] {
  return [
    {
      method: 'GET',
      path: '/api/memory/bundle',
      access: { role: 'viewer' },
      summary: "The shared rules for analysts' agents: required items, then approved ones ranked within the token budget",
      output: {
        body: z.object({
          required: z.array(bundleItemSchema),
          approved: z.array(bundleItemSchema),
          token_estimate: z.number().int().meta({ description: 'Tokens of everything in the bundle, at 4 characters a token' }),
          token_budget: z.number().int().meta({ description: 'bundle.max_tokens: the budget of the approved items' }),
        }),
      },
      async handler(ctx) {
        ctx.body = await buildBundle(store, maxTokens);
      },
    },
  ];
}
