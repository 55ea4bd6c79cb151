import type { RouteDefinition } from '@aida/core';
import type { PortalContext } from '../context.js';

/** `/admin/tokens`: every user's personal access tokens, revoke. */
export function adminTokenPages(_portal: PortalContext): RouteDefinition[] {
  return [];
}
