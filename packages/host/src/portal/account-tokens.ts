import type { RouteDefinition } from '@aida/core';
import type { PortalContext } from './context.js';

/** `/account/tokens`: my personal access tokens: list, create (shown once), revoke. */
export function accountTokenPages(_portal: PortalContext): RouteDefinition[] {
  return [];
}
