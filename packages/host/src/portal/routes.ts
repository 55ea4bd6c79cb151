import type { RouteDefinition } from '@aida/core';
import { accessPages } from './access.js';
import { accountTokenPages } from './account-tokens.js';
import { adminPages } from './admin/index.js';
import { catalogPages } from './catalog.js';
import type { PortalContext } from './context.js';
import { dashboardRoutes } from './dashboard.js';
import { tablePages } from './table-page.js';

/** Every page of the portal. Browsers get HTML here; `/api` and `/auth` stay JSON. */
export function portalRoutes(portal: PortalContext): RouteDefinition[] {
  return [
    ...dashboardRoutes(portal),
    ...catalogPages(portal),
    ...tablePages(portal),
    ...accessPages(portal),
    ...accountTokenPages(portal),
    ...adminPages(portal),
  ];
}
