import { z } from 'zod';
import { body, param, query, type RouteDefinition } from '@aida/core';
import { tableIdFor, type TableRegistry } from '../data/registry.js';
import { pageQuery } from '../http/paging.js';
import { accessRequestView, approveAccessRequest, requestableTables } from '../identity/routes/access-requests.js';
import type { PortalContext } from './context.js';
import { noticeFrom, redirectWithNotice } from './notice.js';

// `_csrf` is checked before any route runs (csrfGuard). An empty reason (the field left blank) is no reason.
const requestForm = z.object({
  table: z.coerce.string().trim().min(1).max(200),
  reason: z.coerce
    .string()
    .trim()
    .max(2000)
    .optional()
    .transform((r) => r || undefined),
});
const listQuery = pageQuery({ defaultLimit: 25, maxLimit: 500 });
const requestParams = z.object({ id: z.string().meta({ description: 'The access request id' }) });
// The admin's queue is shown oldest first without its own pager (the page's pager is the user's list).
const QUEUE_LIMIT = 100;
const NOTICES = {
  requested: 'Your request was sent. An admin will decide on it.',
  approved: 'Request approved: the user can now read the table.',
  denied: 'Request denied.',
};

/**
 * The registry entry a form names. The catalog's "Request access" button posts the table's
 * name; a name kept since registration is its id's source (`tableIdFor`), and a renamed table
 * is still found by its current name.
 */
function tableIdFromName(registry: TableRegistry, name: string): string {
  const wanted = name.trim().toLowerCase();
  return registry.list().find((e) => e.name.toLowerCase() === wanted)?.id ?? tableIdFor(name);
}

/** `/access`: my access requests; for admins the pending queue with approve/deny. */
export function accessPages(portal: PortalContext): RouteDefinition[] {
  const { identity: id, registry } = portal.data;
  const view = accessRequestView(id, portal.data);
  const requestable = requestableTables(portal.data);
  return [
    {
      method: 'GET',
      path: '/access',
      access: { role: 'viewer' },
      summary: 'Access page: my access requests and a form to ask for a table; for admins the pending queue',
      input: { query: listQuery },
      output: { media: ['text/html'] },
      async handler(ctx) {
        const user = ctx.state.user!;
        const page = query(ctx, listQuery);
        const mine = await id.accessRequests.mine(user.id, page);
        const queue = user.role === 'admin' ? await id.accessRequests.pending({ limit: QUEUE_LIMIT, offset: 0 }) : undefined;
        // Tables may be offered by name only where the catalog lists unreadable tables too;
        // otherwise the form takes a typed name and hides which private tables exist.
        const choices = portal.listRestricted ? registry.list().filter((e) => !portal.data.access.canRead(user, e.id)) : [];
        await ctx.render('access.njk', {
          title: 'Access',
          notice: noticeFrom(ctx, NOTICES),
          requests: mine.items.map(view),
          page: { ...page, total: mine.total },
          queue: queue && { items: queue.items.map(view), total: queue.total },
          choices,
          table: typeof ctx.query.table === 'string' ? ctx.query.table : '',
        });
      },
    },
    {
      method: 'POST',
      path: '/access/requests',
      access: { role: 'viewer' },
      summary: 'Access form: ask an admin for read access to a table (by name)',
      input: { body: requestForm, bodyTypes: ['form'] },
      output: {
        status: 303,
        description: 'Back to /access with a notice',
        errors: { 403: 'No valid CSRF token', 404: 'No such table is registered', 409: 'Already readable, or already requested' },
      },
      async handler(ctx) {
        const { table, reason } = body(ctx, requestForm);
        await id.accessRequests.create(ctx.state.user!, tableIdFromName(registry, table), reason, requestable);
        redirectWithNotice(ctx, '/access', 'requested');
      },
    },
    {
      method: 'POST',
      path: '/access/requests/:id/approve',
      access: { role: 'admin' },
      summary: 'Access queue: approve a request, granting the requester read on the table',
      input: { params: requestParams },
      output: { status: 303, description: 'Back to /access with a notice', errors: { 404: 'No such request', 409: 'Already decided' } },
      async handler(ctx) {
        await approveAccessRequest(id, param(ctx, requestParams).id, ctx.state.user!.id);
        redirectWithNotice(ctx, '/access', 'approved');
      },
    },
    {
      method: 'POST',
      path: '/access/requests/:id/deny',
      access: { role: 'admin' },
      summary: 'Access queue: deny a request',
      input: { params: requestParams },
      output: { status: 303, description: 'Back to /access with a notice', errors: { 404: 'No such request', 409: 'Already decided' } },
      async handler(ctx) {
        await id.accessRequests.decide(param(ctx, requestParams).id, 'denied', ctx.state.user!.id);
        redirectWithNotice(ctx, '/access', 'denied');
      },
    },
  ];
}
