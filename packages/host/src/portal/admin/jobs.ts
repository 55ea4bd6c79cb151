import type { RouteDefinition } from '@aida/core';
import type { PortalContext } from '../context.js';

/** `/admin/jobs`: every job with schedule, last and next run, run now. */
export function adminJobPages(_portal: PortalContext): RouteDefinition[] {
  return [];
}
