import { z } from 'zod';
import { body, type RequestUser, type RouteDefinition } from '@aida/core';
import { mountPrefix } from '@aida/core';
import { roleRank } from '../http/guard.js';
import { mintPat } from '../identity/routes/auth.js';
import type { PortalContext } from './context.js';
import { serverUrl } from './server-url.js';
import { showCreatedToken } from './token-created.js';

// The form's fields; `_csrf` is checked before any route runs (csrfGuard).
const tokenForm = z.object({ name: z.coerce.string().trim().min(1).max(100).default('da CLI (portal)') });
const PAT_DAYS = 90;

/** `/` (to the dashboard or sign-in), `/dashboard`, and the dashboard's "create a token" form. */
export function dashboardRoutes(portal: PortalContext): RouteDefinition[] {
  return [
    {
      method: 'GET',
      path: '/',
      access: 'public',
      summary: 'Entry page: redirects to the dashboard, or to sign-in',
      output: { status: 302, description: 'To /dashboard when signed in, else to /login' },
      handler(ctx) {
        ctx.redirect(`${mountPrefix(ctx)}${ctx.state.user ? '/dashboard' : '/login'}`);
      },
    },
    {
      method: 'GET',
      path: '/dashboard',
      access: { role: 'viewer' },
      summary: 'Dashboard page: role, readable tables, freshness and getting started with da',
      output: { media: ['text/html'] },
      async handler(ctx) {
        const user = ctx.state.user!;
        const tables = portal.data.analytics.tables().filter((t) => portal.data.access.canRead(user, t.table_name));
        // Only sources the caller reads a table of: a source of private tables alone stays unnamed.
        const sources = new Set(tables.map((t) => t.source));
        const freshness = (await portal.data.sync.lastSuccessBySource()).filter((f) => user.role === 'admin' || sources.has(f.source));
        const failures = user.role === 'admin' ? await adminFailures(portal) : { tables: [], jobs: [] };
        await ctx.render('dashboard.njk', {
          failures,
          title: 'Dashboard',
          role: user.role,
          tables,
          freshness,
          serverUrl: serverUrl(portal, ctx),
          canMint: user.tokenType === 'session',
          plugins: user.role === 'admin' ? portal.plugins() : [],
          panels: await dashboardPanels(portal, user),
        });
      },
    },
    {
      method: 'POST',
      path: '/dashboard/tokens',
      access: { role: 'viewer' },
      summary: 'Dashboard form: create a personal access token for da and show it once',
      input: { body: tokenForm, bodyTypes: ['form'] },
      output: { media: ['text/html'], errors: { 403: 'No valid CSRF token, or called with a personal access token' } },
      async handler(ctx) {
        const { name } = body(ctx, tokenForm);
        const created = await mintPat(portal.data.identity, ctx.state.user!, name, PAT_DAYS);
        await showCreatedToken(ctx, portal, created);
      },
    },
  ];
}

/**
 * The plugins' dashboard boxes the user's role may see, each with its data. A box whose data
 * fails is shown as a one-line notice: one plugin must not take the dashboard down.
 */
async function dashboardPanels(portal: PortalContext, user: RequestUser) {
  const visible = portal.dashboardPanels().filter((p) => !p.role || roleRank(user.role) >= roleRank(p.role));
  return Promise.all(
    visible.map(async (p) => {
      try {
        return { pluginId: p.pluginId, template: p.template, data: (await p.data?.(user)) ?? {}, failed: false };
      } catch {
        return { pluginId: p.pluginId, template: p.template, data: {}, failed: true };
      }
    }),
  );
}

/** What an admin should look at: tables whose last sync failed, and jobs whose last run failed. */
async function adminFailures(portal: PortalContext) {
  const [states, latest] = await Promise.all([portal.data.sync.states(), portal.jobs.runs.latest()]);
  const tables = states.filter((s) => s.status !== 'ok').map((s) => ({ table: s.table_id, source: s.source, error: s.error, at: s.last_sync }));
  const jobs = [...latest.values()].filter((r) => r.status === 'failed').map((r) => ({ name: r.job_name, error: r.error, at: r.finished_at }));
  return { tables, jobs };
}
