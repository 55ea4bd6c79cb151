import { z } from 'zod';
import { body, InputError, NotFoundError, query, type RouteDefinition, UnavailableError } from '@aida/core';
import { sourceOfTable } from './table-source.js';
import type { DataContext } from './context.js';
import type { SyncSettingsStore } from './sync-settings.js';
import type { ProfileService } from './profiles/service.js';
import { combinedHash } from '../analytics/combined-hash.js';
import { pagedSchema, pageFrom, pageQuery } from '../http/paging.js';
import { datasetsSchema, manifestSchema, subscriptionsSchema, syncHistoryRowSchema, syncStateSchema, triggerSchema } from './schemas.js';

/** Name of the host's own job that runs extract → rebuild → profile for a trigger. */
export const SYNC_JOB = 'aida:sync';

const historyQuery = pageQuery({ defaultLimit: 100 }).extend({ table: z.string().optional(), source: z.string().optional() });
const triggerBody = z.union([z.array(z.string()), z.object({ tables: z.array(z.string()).optional() }).strict()], {
  error: 'Send a JSON array of table ids, {"tables": [...]}, or nothing to sync every source',
});
const settingsBody = z.object({ datasets: z.record(z.string().min(1).max(128), z.boolean()) });
const subscriptionsBody = z.object({ table_mode: z.enum(['all', 'explicit']), tables: z.array(z.string().min(1)).max(10_000).default([]) });

interface ManifestEntry {
  hash: string;
  sha256: string;
  updated: Date | null;
  size_bytes: number;
  rows: number;
  source: string;
  parts?: { part: string; hash: string; sha256: string; size_bytes: number; rows: number }[];
}

/** The sync manifest, per-user sync settings and subscriptions, and the admin trigger (API.md, Data and sync). */
export function syncRoutes(ctx: DataContext, settings: SyncSettingsStore, profiles: ProfileService): RouteDefinition[] {
  return [
    {
      method: 'GET', path: '/api/sync/manifest', access: { role: 'viewer' }, summary: 'Hashes of every table the caller may read and has not switched off',
      output: { body: manifestSchema },
      async handler(c) {
        const user = c.state.user!;
        const s = await settings.get(user.id);
        const explicit = s.subscriptions.table_mode === 'explicit' ? new Set(s.subscriptions.tables.map((t) => t.toLowerCase())) : null;
        const tables: Record<string, ManifestEntry> = {};
        // Profiles are assets of the tables listed: clients refetch one when its time changes.
        const stored = await profiles.storedProfiles();
        const profileAssets: Record<string, { profiled_at: string }> = {};
        for (const t of ctx.analytics.tables()) {
          // A table that stays at its source has nothing to download: never in the manifest.
          if (t.query_mode === 'remote') continue;
          const id = t.table_name.toLowerCase();
          const bucket = ctx.registry.get(id)?.bucket ?? t.source;
          if (s.datasets[bucket] === false || (explicit && !explicit.has(id)) || !ctx.access.canRead(user, id)) continue;
          const files = ctx.analytics.files(id);
          if (!files.length) continue;
          const partitioned = files.length > 1 || files[0].part !== null;
          tables[id] = {
            hash: partitioned ? combinedHash(files.map((f) => f.md5)) : files[0].md5,
            sha256: partitioned ? combinedHash(files.map((f) => f.sha256)) : files[0].sha256,
            updated: t.extracted_at,
            size_bytes: t.size_bytes,
            rows: t.rows,
            source: t.source,
            ...(partitioned ? { parts: files.map((f) => ({ part: f.part ?? '', hash: f.md5, sha256: f.sha256, size_bytes: f.size_bytes, rows: f.rows })) } : {}),
          };
          const profile = stored.get(id);
          if (profile) profileAssets[id] = { profiled_at: profile.profiled_at };
        }
        c.body = { tables, assets: { profiles: profileAssets }, server_time: new Date().toISOString() };
      },
    },
    {
      method: 'GET', path: '/api/sync/settings', access: { role: 'viewer' }, summary: "The caller's datasets switched on or off for da sync", output: { body: datasetsSchema },
      async handler(c) {
        c.body = { datasets: (await settings.get(c.state.user!.id)).datasets };
      },
    },
    {
      method: 'POST', path: '/api/sync/settings', access: { role: 'viewer' }, summary: 'Switch datasets on or off for da sync', input: { body: settingsBody }, output: { body: datasetsSchema },
      async handler(c) {
        const b = body(c, settingsBody);
        c.body = { datasets: (await settings.setDatasets(c.state.user!.id, b.datasets)).datasets };
      },
    },
    {
      method: 'GET', path: '/api/sync/table-subscriptions', access: { role: 'viewer' }, summary: 'Whether da sync fetches every readable table or only the listed ones', output: { body: subscriptionsSchema },
      async handler(c) {
        c.body = (await settings.get(c.state.user!.id)).subscriptions;
      },
    },
    {
      method: 'POST', path: '/api/sync/table-subscriptions', access: { role: 'viewer' }, summary: 'Sync all readable tables or only the listed ones', input: { body: subscriptionsBody }, output: { body: subscriptionsSchema },
      async handler(c) {
        const b = body(c, subscriptionsBody);
        c.body = (await settings.setSubscriptions(c.state.user!.id, { table_mode: b.table_mode, tables: b.tables.map((t) => t.toLowerCase()) })).subscriptions;
      },
    },
    {
      method: 'GET', path: '/api/admin/sync-history', access: { role: 'admin' }, summary: 'What every extraction did, per table, newest first', input: { query: historyQuery },
      output: { body: pagedSchema('items', syncHistoryRowSchema) },
      async handler(c) {
        const q = query(c, historyQuery);
        const { items, total } = await ctx.sync.history({ tableId: q.table, source: q.source, limit: q.limit, offset: q.offset });
        c.body = pageFrom('items', items, total, q);
      },
    },
    {
      method: 'GET', path: '/api/admin/sync-state', access: { role: 'admin' }, summary: 'What the analytics database serves for each table, with the last extraction status',
      output: { body: syncStateSchema },
      async handler(c) {
        c.body = { tables: await ctx.sync.states() };
      },
    },
    {
      method: 'POST', path: '/api/sync/trigger', access: { role: 'admin' }, summary: 'Queue extract → rebuild → profile for some tables or all',
      input: { body: triggerBody },
      output: { body: triggerSchema, errors: { 503: 'Jobs are not running on this host yet' } },
      async handler(c) {
        const b = body(c, triggerBody);
        const { tables, sources } = await queueSync(ctx, { tables: Array.isArray(b) ? b : b.tables });
        c.body = { status: 'triggered', tables: tables ?? 'all', sources, message: `Sync queued for ${sources.length} source(s): extract, rebuild, profile` };
      },
    },
  ];
}

/**
 * Queues one `aida:sync` run (extract → rebuild → profile): of the given tables, of one whole
 * source, or (neither given) of every source. Unknown tables are a 400, an unknown source a
 * 404, and a host whose jobs have not started a 503. `tables` is null when whole sources run.
 */
export async function queueSync(
  ctx: DataContext,
  want: { tables?: string[]; source?: string } = {},
): Promise<{ tables: string[] | null; sources: string[] }> {
  const { tables } = want;
  const sources = want.source ? [knownSource(ctx, want.source)] : tables?.length ? sourcesOf(ctx, tables) : ctx.connectors().map((k) => k.source);
  const jobs = ctx.jobs();
  if (!jobs) throw new UnavailableError('Jobs are not running on this host yet; try again shortly');
  await jobs.now(SYNC_JOB, { sources, tables: tables ?? null });
  return { tables: tables ?? null, sources };
}

function knownSource(ctx: DataContext, source: string): string {
  if (!ctx.connectors().some((k) => k.source === source)) throw new NotFoundError(`No connector provides the source '${source}'`);
  return source;
}

/** The sources that provide the given tables; unknown tables are a 400 naming them. */
function sourcesOf(ctx: DataContext, tables: readonly string[]): string[] {
  const sources = new Set(ctx.connectors().map((k) => k.source));
  const out = new Set<string>();
  const unknown: string[] = [];
  for (const t of tables) {
    const source = sourceOfTable(t, { analytics: ctx.analytics, registry: ctx.registry, sources });
    if (source) out.add(source);
    else unknown.push(t);
  }
  if (unknown.length) throw new InputError(`No connector provides ${unknown.map((u) => `'${u}'`).join(', ')}`, { field: 'tables', detail: { unknown } });
  return [...out];
}


