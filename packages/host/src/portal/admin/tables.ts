import { z } from 'zod';
import { body, NotFoundError, param, type RouteDefinition } from '@aida/core';
import type { DataContext } from '../../data/context.js';
import type { RegistryEntry } from '../../data/registry.js';
import { discoverTables, registerTable, updateTable } from '../../data/registry-routes.js';
import { queueSync } from '../../data/sync-routes.js';
import { sourceOfTable } from '../../data/table-source.js';
import type { SyncStateRow } from '../../state/repositories/sync.js';
import type { PortalContext } from '../context.js';
import { noticeFrom, redirectWithNotice } from '../notice.js';

const admin = { role: 'admin' } as const;
const html = { media: ['text/html'] };
const SECTION = '/admin/tables';
/** How long the page waits for a connector to list its tables: a slow remote source must not hold the page. */
const DISCOVERY_TIMEOUT_MS = 10_000;
const HISTORY_ON_EDIT_PAGE = 10;

const NOTICES = {
  saved: 'Saved.',
  'sync-queued': 'Sync queued: extract, rebuild and profile run in the background; the last sync column shows the outcome.',
  registered: 'Registered. Use “Sync now” on it to extract its data.',
} as const;

/** The accepted forms of a sync schedule, as the scheduler reads them (jobs/scheduler-options.ts). */
const SCHEDULE_HELP =
  'A cron expression (*/15 * * * *), a human interval (15 minutes, 2 hours) or a duration (30m, 6h). Leave empty to sync the table with its source only.';

const tableParams = z.object({ name: z.string().min(1).max(200) });
const sourceParams = z.object({ source: z.string().min(1).max(200) });
// Form fields are strings; an unchecked checkbox is absent. `_csrf` is checked before any route runs.
const editForm = z.object({
  description: z.string().trim().max(10_000).default(''),
  visibility: z.enum(['public', 'private'], { error: 'Choose public or private' }),
  sync_schedule: z.string().trim().max(200).default(''),
  profile_after_sync: z.literal('on').optional(),
});
const registerForm = z.object({
  source: z.string().min(1).max(200),
  table: z.string().min(1).max(200),
  private: z.literal('on').optional(),
});

/** `/admin/tables`: the table registry, its edit form, sync now, and discovered tables to register. */
export function adminTablePages(portal: PortalContext): RouteDefinition[] {
  const data = portal.data;
  return [
    {
      method: 'GET',
      path: '/admin/tables',
      access: admin,
      summary: 'Admin page: registered tables with their sync state, sources, and discovered tables not registered yet',
      output: html,
      async handler(ctx) {
        const [rows, sources, discovered] = await Promise.all([
          tableRows(data),
          sourceRows(data),
          discoverTables(data, AbortSignal.timeout(DISCOVERY_TIMEOUT_MS)),
        ]);
        await ctx.render('admin/tables.njk', {
          title: 'Tables',
          section: SECTION,
          notice: noticeFrom(ctx, NOTICES),
          tables: rows,
          sources,
          discovered: discovered.tables.filter((t) => !t.registered),
          discoveryErrors: discovered.errors,
        });
      },
    },
    // Before `/admin/tables/:name`, which would take a POST to `register` for a table of that name.
    {
      method: 'POST',
      path: '/admin/tables/register',
      access: admin,
      summary: 'Admin form: register a table a connector discovered',
      input: { body: registerForm, bodyTypes: ['form'] },
      output: {
        status: 303,
        description: 'Back to /admin/tables',
        errors: { 404: 'The source or its table does not exist', 409: 'The table is registered already' },
      },
      async handler(ctx) {
        const f = body(ctx, registerForm);
        const connector = data.connectors().find((k) => k.source === f.source);
        if (!connector) throw new NotFoundError(`No connector provides the source '${f.source}'`);
        const found = (await connector.discover(AbortSignal.timeout(DISCOVERY_TIMEOUT_MS))).find((t) => t.name === f.table);
        if (!found) throw new NotFoundError(`Source '${f.source}' has no table '${f.table}'`);
        // What automatic registration after an extraction records, plus what discovery knows.
        await registerTable(
          data,
          {
            name: found.name,
            description: found.description ?? null,
            folder: connector.source,
            bucket: found.bucket ?? connector.source,
            source_type: connector.sourceType,
            source_table: found.sourceTable ?? found.name,
            is_public: f.private !== 'on',
          },
          ctx.state.user!.id,
        );
        redirectWithNotice(ctx, SECTION, 'registered');
      },
    },
    {
      method: 'GET',
      path: '/admin/tables/:name',
      access: admin,
      summary: "Admin page: edit a registered table's description, visibility, schedule and profiling",
      input: { params: tableParams },
      output: { ...html, errors: { 404: 'No such table is registered' } },
      async handler(ctx) {
        const entry = registered(data, param(ctx, tableParams).name);
        const [row] = (await tableRows(data)).filter((r) => r.entry.id === entry.id);
        const history = await data.sync.history({ tableId: entry.id, limit: HISTORY_ON_EDIT_PAGE });
        // `system` when an extraction registered it, else a user id: shown as the email.
        const registeredBy = entry.registered_by && (data.identity.users.get(entry.registered_by)?.email ?? entry.registered_by);
        await ctx.render('admin/table-edit.njk', {
          title: `Edit ${entry.id}`,
          section: SECTION,
          row,
          registeredBy,
          history: history.items,
          scheduleHelp: SCHEDULE_HELP,
        });
      },
    },
    {
      method: 'POST',
      path: '/admin/tables/:name',
      access: admin,
      summary: "Admin form: save a table's description, visibility, schedule and profiling",
      input: { params: tableParams, body: editForm, bodyTypes: ['form'] },
      output: {
        status: 303,
        description: 'Back to /admin/tables',
        errors: { 400: 'The schedule is not one the scheduler reads', 404: 'No such table is registered' },
      },
      async handler(ctx) {
        const f = body(ctx, editForm);
        // The same update as PUT /api/admin/registry/:id: a bad schedule is refused before anything changes.
        await updateTable(data, registered(data, param(ctx, tableParams).name).id, {
          description: f.description || null,
          is_public: f.visibility === 'public',
          sync_schedule: f.sync_schedule || null,
          profile_after_sync: f.profile_after_sync === 'on',
        });
        redirectWithNotice(ctx, SECTION, 'saved');
      },
    },
    {
      method: 'POST',
      path: '/admin/tables/:name/sync',
      access: admin,
      summary: 'Admin form: queue extract → rebuild → profile for one table',
      input: { params: tableParams },
      output: { status: 303, description: 'Back to /admin/tables', errors: { 400: 'No connector provides the table', 404: 'No such table is registered' } },
      async handler(ctx) {
        await queueSync(data, { tables: [registered(data, param(ctx, tableParams).name).id] });
        redirectWithNotice(ctx, SECTION, 'sync-queued');
      },
    },
    {
      method: 'POST',
      path: '/admin/tables/sources/:source/sync',
      access: admin,
      summary: 'Admin form: queue extract → rebuild → profile for every table of a source',
      input: { params: sourceParams },
      output: { status: 303, description: 'Back to /admin/tables', errors: { 404: 'No connector provides the source' } },
      async handler(ctx) {
        await queueSync(data, { source: param(ctx, sourceParams).source });
        redirectWithNotice(ctx, SECTION, 'sync-queued');
      },
    },
  ];
}

interface TableRow {
  entry: RegistryEntry;
  /** The connector's source that provides the table; undefined when none does (it cannot be synced). */
  source?: string;
  state?: SyncStateRow;
  rows?: number;
  sizeBytes?: number;
}

function registered(data: DataContext, name: string): RegistryEntry {
  const entry = data.registry.get(name);
  if (!entry) throw new NotFoundError(`No registered table '${name}'`);
  return entry;
}

/** Every registered table with what the analytics database serves for it and its last extraction. */
async function tableRows(data: DataContext): Promise<TableRow[]> {
  const states = new Map((await data.sync.states()).map((s) => [s.table_id.toLowerCase(), s]));
  const served = new Map(data.analytics.tables().map((t) => [t.table_name.toLowerCase(), t]));
  const sources = new Set(data.connectors().map((k) => k.source));
  return data.registry.list().map((entry) => {
    const table = served.get(entry.id);
    const state = states.get(entry.id);
    return {
      entry,
      source: sourceOfTable(entry.id, { analytics: data.analytics, registry: data.registry, sources }),
      state,
      rows: table?.rows ?? state?.rows ?? undefined,
      sizeBytes: table?.size_bytes ?? state?.file_size_bytes ?? undefined,
    };
  });
}

/** Every configured source with how many tables it serves and when it last extracted without error. */
async function sourceRows(data: DataContext): Promise<{ source: string; sourceType: string; tables: number; lastSuccess?: Date }[]> {
  const last = new Map((await data.sync.lastSuccessBySource()).map((l) => [l.source, l.last_success]));
  const served = data.analytics.tables();
  return data
    .connectors()
    .map((k) => ({ source: k.source, sourceType: k.sourceType, tables: served.filter((t) => t.source === k.source).length, lastSuccess: last.get(k.source) }))
    .sort((a, b) => a.source.localeCompare(b.source));
}
