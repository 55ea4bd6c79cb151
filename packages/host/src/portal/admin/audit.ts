import type { RouteDefinition } from '@aida/core';
import type { PortalContext } from '../context.js';

/** `/admin/audit`: the audit log with filters and paging. */
export function adminAuditPages(_portal: PortalContext): RouteDefinition[] {
  return [];
}
