import type { RouteDefinition, UserDirectory } from '@aida/core';
import type { MemoryStore } from '../store/index.js';
import { adminRoutes } from './admin.js';
import { bundleRoutes } from './bundle.js';
import { itemByIdRoutes, itemRoutes } from './items.js';

/**
 * Every `/api/memory` route, fixed paths first: the router takes the first match, and
 * `/api/memory/:id` would otherwise answer `/api/memory/stats`.
 */
export function memoryRoutes(store: MemoryStore, o: { bundleMaxTokens: number; users: UserDirectory }): RouteDefinition[] {
  return [...itemRoutes(store), ...bundleRoutes(store, o.bundleMaxTokens), ...adminRoutes(store, o.users), ...itemByIdRoutes(store, o.users)];
}
