import { fileURLToPath } from 'node:url';
import type { NavigationEntry, RouteDefinition, UserDirectory } from '@aida/core';
import type { MemoryStore } from '../store/index.js';
import { browsePages } from './browse.js';
import { itemPages } from './item.js';
import { reviewPages } from './review.js';

export interface MemoryPages {
  /** The templates, rendered as `memory/<file>.njk` (from dist/ as from src/: `../../views`). */
  folder: string;
  navigation: NavigationEntry;
  routes: RouteDefinition[];
}

/**
 * The portal pages of corporate memory: `/memory`, `/memory/review`, `/memory/:id` and their
 * forms. Fixed paths come first: the router takes the first match, and `/memory/:id` would
 * otherwise answer `/memory/review`.
 */
export function memoryPages(store: MemoryStore, users: UserDirectory): MemoryPages {
  return {
    folder: fileURLToPath(new URL('../../views', import.meta.url)),
    navigation: { label: 'Memory', href: '/memory', role: 'viewer' },
    routes: [...browsePages(store), ...reviewPages(store), ...itemPages(store, users)],
  };
}
