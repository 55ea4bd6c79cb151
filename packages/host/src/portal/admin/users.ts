import type { RouteDefinition } from '@aida/core';
import type { PortalContext } from '../context.js';

/** `/admin/users`: invite, role, deactivate/activate, reset password. */
export function adminUserPages(_portal: PortalContext): RouteDefinition[] {
  return [];
}
