import type { RouteDefinition } from '@aida/core';
import type { PortalContext } from '../context.js';

/** `/admin/permissions`: grants per user (table or `bucket.*`). */
export function adminPermissionPages(_portal: PortalContext): RouteDefinition[] {
  return [];
}
