import { z } from 'zod';
import { param, quoteIdent, type RouteDefinition } from '@aida/core';
import type { Context } from 'koa';
import { catalogEntries, type CatalogEntry } from '../data/catalog.js';
import { refreshProfile } from '../data/profiles/routes.js';
import type { ColumnProfile, TableProfile } from '../data/profiles/types.js';
import { tableIdFor } from '../data/registry.js';
import { TableForbiddenError, TableNotFoundError } from '../errors.js';
import { roleRank } from '../http/guard.js';
import { columnChart, ratioChart } from './charts.js';
import { servedColumns, type ColumnInfo } from './catalog-search.js';
import type { PortalContext } from './context.js';
import { noticeFrom, redirectWithNotice } from './notice.js';

const tableParams = z.object({ table: z.string().meta({ description: 'The table, as the catalog names it' }) });
const HISTORY_RUNS = 20;
const NOTICES = { profiled: 'The profile was computed.' };

/** `/catalog/{table}`: schema, column profile charts, alerts, freshness and how to query it. */
export function tablePages(portal: PortalContext): RouteDefinition[] {
  return [
    {
      method: 'GET',
      path: '/catalog/:table',
      access: { role: 'viewer' },
      summary: 'Table page: schema, column profiles with charts, freshness, how to query it; an admin also sees its sync history',
      input: { params: tableParams },
      output: {
        media: ['text/html'],
        throws: [TableNotFoundError, TableForbiddenError],
        description: 'The table; to a caller who cannot read it, only its name, description and "Request access" (with catalog.list_restricted)',
      },
      async handler(ctx) {
        const found = pageEntry(portal, ctx);
        if (!found.readable) {
          await ctx.render('table.njk', {
            title: found.entry.name,
            restricted: true,
            table: { id: found.entry.id, name: found.entry.name, description: found.description },
          });
          return;
        }
        await ctx.render('table.njk', await readerView(portal, ctx, found));
      },
    },
    {
      method: 'POST',
      path: '/catalog/:table/profile',
      access: { role: 'analyst' },
      summary: 'Table page form: recompute the column profile, then back to the table page',
      input: { params: tableParams, body: z.object({}), bodyTypes: ['form'] },
      output: { status: 302, description: '303 to the table page with a notice', throws: [TableForbiddenError, TableNotFoundError] },
      async handler(ctx) {
        const id = tableIdFor(param(ctx, tableParams).table);
        // The JSON refresh route's own function: the same permission check, the same computation.
        await refreshProfile(portal.data, portal.profiles, ctx.state.user!, id);
        redirectWithNotice(ctx, `/catalog/${encodeURIComponent(id)}`, 'profiled');
      },
    },
  ];
}

/**
 * The registered table the page is about, or the error page. For a caller who cannot read it,
 * the page answers as the data API does, so it is no existence oracle either: an admin reads
 * every registered table, so for an admin an unknown table is 404. For anyone else, without
 * `catalog.list_restricted` an unknown table and a private one they may not read both get the
 * API's 403 `AIDA_TABLE_FORBIDDEN` ("does not exist or you have no access"). With
 * `list_restricted` the catalog lists every registered name anyway, so nothing is left to hide:
 * a private table shows its name, description and "Request access", and an unknown one is 404.
 */
function pageEntry(portal: PortalContext, ctx: Context): CatalogEntry {
  const user = ctx.state.user!;
  const id = tableIdFor(param(ctx, tableParams).table);
  const found = catalogEntries(portal.data, user).find((c) => c.entry.id === id);
  if (found && (found.readable || portal.listRestricted)) return found;
  if (found || (user.role !== 'admin' && !portal.listRestricted)) portal.data.access.assertCanRead(user, id);
  throw new TableNotFoundError(`No table '${id}' is registered`, { detail: { table: id } });
}

/** What a reader of the table sees. */
async function readerView(portal: PortalContext, ctx: Context, c: CatalogEntry): Promise<Record<string, unknown>> {
  const user = ctx.state.user!;
  const isAdmin = user.role === 'admin';
  const name = c.served?.table_name ?? c.entry.name;
  const key = name.toLowerCase();
  const [columns, states, profile, history] = await Promise.all([
    servedColumns(portal.data.analytics, portal.data.logger),
    portal.data.sync.states(),
    c.served ? storedProfile(portal, c.served.table_name) : Promise.resolve(null),
    isAdmin ? portal.data.sync.history({ tableId: name, limit: HISTORY_RUNS }) : Promise.resolve(null),
  ]);
  const state = states.find((s) => s.table_id.toLowerCase() === key) ?? null;
  const schema = columnViews(columns.get(key) ?? [], profile);
  return {
    title: c.entry.name,
    restricted: false,
    notice: noticeFrom(ctx, NOTICES),
    table: {
      id: c.entry.id,
      name: c.entry.name,
      description: c.description,
      source: c.served?.source ?? null,
      source_type: c.entry.source_type ?? c.served?.source_type ?? null,
      bucket: c.entry.bucket,
      is_public: c.entry.is_public,
      query_mode: c.entry.query_mode,
      served: Boolean(c.served),
      rows: c.served?.rows ?? null,
      size_bytes: c.served?.size_bytes ?? null,
      extracted_at: c.served?.extracted_at ?? null,
    },
    state,
    columns: schema,
    // The description column only when some column has one: extracts seldom carry them.
    describedColumns: schema.some((col) => col.description),
    profile,
    alerts: profile?.alerts ?? [],
    canProfile: Boolean(c.served) && c.served?.query_mode !== 'remote' && roleRank(user.role) >= roleRank('analyst'),
    // A remote table stays at its source: it is queried there, in the source's SQL, and never synced.
    sql: c.entry.query_mode === 'remote' ? null : `SELECT * FROM ${quoteIdent(name)} LIMIT 100`,
    daCommand:
      c.entry.query_mode === 'remote'
        ? `da query --source ${c.served?.source ?? c.entry.bucket ?? '<source>'} "<SQL in the source's dialect>"`
        : `da sync --table ${c.entry.id}`,
    history: history?.items ?? null,
    historyTotal: history?.total ?? 0,
  };
}

/** The stored profile, or null when none was computed yet (the page never computes one: "Profile now" does). */
async function storedProfile(portal: PortalContext, table: string): Promise<TableProfile | null> {
  try {
    return await portal.profiles.stored(table);
  } catch (e) {
    // The table went away between listing and reading (a rebuild dropped it): nothing to show.
    if (e instanceof TableNotFoundError) return null;
    throw e;
  }
}

export interface ColumnView {
  name: string;
  type: string;
  description: string | null;
  profile?: ColumnProfile & { null_ratio: number; distinct_ratio: number; chart: string | null; null_chart: string; distinct_chart: string };
}

/** The schema's columns in their order, each with its profile and charts when there is one. */
function columnViews(schema: readonly ColumnInfo[], profile: TableProfile | null): ColumnView[] {
  const profiled = new Map((profile?.columns ?? []).map((p) => [p.name, p]));
  const names = [...schema.map((s) => s.name), ...[...profiled.keys()].filter((n) => !schema.some((s) => s.name === n))];
  const profiledRows = profile ? (profile.sample_size ?? profile.rows) : 0;
  return names.map((n) => {
    const s = schema.find((x) => x.name === n);
    const p = profiled.get(n);
    const view: ColumnView = { name: n, type: s?.type ?? p?.type ?? '', description: s?.description ?? null };
    if (p) {
      const nonNull = Math.max(0, profiledRows - p.null_count);
      const nullRatio = p.null_pct / 100;
      const distinctRatio = nonNull ? Math.min(1, p.distinct_count / nonNull) : 0;
      view.profile = {
        ...p,
        null_ratio: nullRatio,
        distinct_ratio: distinctRatio,
        chart: columnChart(p, nonNull),
        null_chart: ratioChart(nullRatio, `Nulls in ${n}`),
        distinct_chart: ratioChart(distinctRatio, `Distinct values in ${n}`),
      };
    }
    return view;
  });
}
