import { definePlugin, tokens, type Service } from '@aida/core';
import { defineExtractJob } from './extract/job.js';
import { memoryConfigSchema } from './config.js';
import { memoryPages } from './pages/index.js';
import { memoryRoutes } from './routes/index.js';
import { MemoryStore, memoryMigrations } from './store/index.js';

/** Reports the memory as healthy while its tables answer, with the counts in the detail. */
function memoryService(store: MemoryStore): Service {
  return {
    // Health lists it as `memory:knowledge`.
    id: 'knowledge',
    async start() {
      // Items whose expiry passed while the host was down leave the bundles before anyone asks.
      await store.items.expireDue();
    },
    async stop() {},
    async health() {
      try {
        const s = await store.items.stats();
        return {
          status: 'healthy',
          detail: `${s.total} ${s.total === 1 ? 'item' : 'items'}: ${s.by_status.approved} approved (${s.required} required), ${s.by_status.pending} pending`,
        };
      } catch (e) {
        return { status: 'unhealthy', detail: `the memory tables cannot be read: ${e instanceof Error ? e.message : String(e)}` };
      }
    },
  };
}

/**
 * Corporate memory: knowledge items extracted from analysts' notes or proposed, voted on,
 * governed by km_admins, and delivered to every analyst's agent as a rule bundle.
 */
export const memoryPlugin = definePlugin({
  id: 'memory',
  kind: 'service',
  description: "Corporate memory: knowledge from analysts' notes, voting, governance and rule bundles for analysts' agents",
  config: memoryConfigSchema,
  deps: {
    database: tokens.database,
    routes: tokens.routes,
    views: tokens.views,
    jobs: tokens.jobs,
    services: tokens.services,
    logger: tokens.logger,
    analystNotes: tokens.analystNotes,
    users: tokens.users,
  },
  async init({ database, routes, views, services, jobs, analystNotes, logger, users }, { config }) {
    await database.migrate(memoryMigrations);
    const store = new MemoryStore(database, { halfLifeMs: config.confidence.half_life });
    for (const route of memoryRoutes(store, { bundleMaxTokens: config.bundle.max_tokens, users })) routes.add(route);
    // The portal pages (/memory, /memory/review, /memory/:id): the same store calls as the routes above.
    // The history names its actors through the host's user directory (the audit keeps ids).
    const pages = memoryPages(store, users);
    views.addFolder(pages.folder);
    views.addNavigation(pages.navigation);
    for (const route of pages.routes) routes.add(route);
    services.register(memoryService(store));

    // `memory:extract`: the changed notes, scrubbed, through the configured model (or the offline extractor).
    defineExtractJob(jobs, { store, notes: analystNotes, config, logger });
  },
});

export default memoryPlugin;
