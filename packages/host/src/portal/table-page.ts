import type { RouteDefinition } from '@aida/core';
import type { PortalContext } from './context.js';

/** `/catalog/{table}`: schema, column profile charts, alerts, freshness and how to query it. */
export function tablePages(_portal: PortalContext): RouteDefinition[] {
  return [];
}
