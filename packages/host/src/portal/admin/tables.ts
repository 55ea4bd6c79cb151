import type { RouteDefinition } from '@aida/core';
import type { PortalContext } from '../context.js';

/** `/admin/tables`: the table registry, discovered tables and sync now. */
export function adminTablePages(_portal: PortalContext): RouteDefinition[] {
  return [];
}
