import type { RouteDefinition } from '@aida/core';
import type { PortalContext } from './context.js';

/** `/access`: my access requests; for admins the pending queue with approve/deny. */
export function accessPages(_portal: PortalContext): RouteDefinition[] {
  return [];
}
