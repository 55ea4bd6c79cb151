import type { RouteDefinition } from '@aida/core';
import { catalogRoutes } from './catalog.js';
import type { DataContext } from './context.js';
import { bulkDownloadRoutes } from './bulk-download.js';
import { downloadRoutes } from './download.js';
import { profileRoutes } from './profiles/routes.js';
import { queryRoutes } from './query/routes.js';
import type { ProfileService } from './profiles/service.js';
import { registryRoutes } from './registry-routes.js';
import { syncRoutes } from './sync-routes.js';
import { SyncSettingsStore } from './sync-settings.js';
import { uploadRoutes } from './uploads.js';

/** Every route of the data API (API.md: Data and sync; Administration: registry). */
export function dataRoutes(ctx: DataContext, services: { profiles: ProfileService }): RouteDefinition[] {
  return [...registryRoutes(ctx), ...catalogRoutes(ctx), ...syncRoutes(ctx, new SyncSettingsStore(ctx.systemDb, ctx.identity.changes), services.profiles), ...downloadRoutes(ctx), ...bulkDownloadRoutes(ctx), ...uploadRoutes(ctx), ...profileRoutes(ctx, services.profiles), ...queryRoutes(ctx)];
}
