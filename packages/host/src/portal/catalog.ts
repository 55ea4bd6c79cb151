import type { RouteDefinition } from '@aida/core';
import type { PortalContext } from './context.js';

/** `/catalog`: every table the caller can read, with search and filters. */
export function catalogPages(_portal: PortalContext): RouteDefinition[] {
  return [];
}
