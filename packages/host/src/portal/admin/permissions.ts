import { z } from 'zod';
import { body, NotFoundError, query, type RouteDefinition } from '@aida/core';
import type { DataContext } from '../../data/context.js';
import { grantDataset, revokeDataset } from '../../identity/routes/permissions.js';
import type { UserRecord } from '../../identity/users.js';
import type { PortalContext } from '../context.js';
import { noticeFrom, redirectWithNotice } from '../notice.js';

const admin = { role: 'admin' } as const;
const SECTION = '/admin/permissions';
const NOTICES = { granted: 'Granted.', removed: 'Grant removed.' } as const;

const listQuery = z.object({ user: z.string().trim().max(320).optional() });
// `_csrf` is checked before any route runs (csrfGuard).
const grantForm = z.object({
  user_id: z.string().min(1, 'Choose a user'),
  grant: z.string().trim().min(1, 'Name a table or <bucket>.*').max(200),
});

/** `/admin/permissions`: grants per user (a table or `bucket.*`), add and remove. */
export function adminPermissionPages(portal: PortalContext): RouteDefinition[] {
  const { identity } = portal.data;
  return [
    {
      method: 'GET',
      path: '/admin/permissions',
      access: admin,
      summary: "Admin page: every user's grants of private tables and buckets, with add and remove",
      input: { query: listQuery },
      output: { media: ['text/html'], errors: { 404: 'The ?user= filter names no user' } },
      async handler(ctx) {
        const filter = query(ctx, listQuery).user || undefined;
        const selected = filter ? findUser(identity.users.list(), filter) : undefined;
        const users = identity.users.list().sort((a, b) => a.email.localeCompare(b.email));
        const emailOf = new Map(users.map((u) => [u.id, u.email]));
        const known = knownDatasets(portal.data);
        const grants = identity.permissions
          .list(selected?.id)
          .map((g) => ({
            ...g,
            email: emailOf.get(g.user_id) ?? g.user_id,
            grantedBy: g.granted_by ? (emailOf.get(g.granted_by) ?? g.granted_by) : undefined,
            // A grant of a table or bucket the registry does not know (names match exactly) gives nothing yet: say so.
            known: known.all.has(g.dataset),
          }))
          .sort((a, b) => a.email.localeCompare(b.email) || a.dataset.localeCompare(b.dataset));
        await ctx.render('admin/permissions.njk', {
          title: 'Permissions',
          section: SECTION,
          notice: noticeFrom(ctx, NOTICES),
          users,
          selected,
          grants,
          tables: known.tables,
          buckets: known.buckets,
        });
      },
    },
    {
      method: 'POST',
      path: '/admin/permissions',
      access: admin,
      summary: 'Admin form: grant a user a table or `<bucket>.*`',
      input: { body: grantForm, bodyTypes: ['form'] },
      output: { status: 303, description: 'Back to /admin/permissions', errors: { 400: 'Not a table id or <bucket>.*', 404: 'No such user' } },
      async handler(ctx) {
        const f = body(ctx, grantForm);
        // The same grant as POST /api/admin/permissions.
        await grantDataset(identity, { user_id: f.user_id, dataset: f.grant, access: 'read' }, ctx.state.user!.id);
        redirectWithNotice(ctx, SECTION, 'granted');
      },
    },
    {
      method: 'POST',
      path: '/admin/permissions/remove',
      access: admin,
      summary: "Admin form: remove a user's grant",
      input: { body: grantForm, bodyTypes: ['form'] },
      output: { status: 303, description: 'Back to /admin/permissions', errors: { 404: 'No such grant' } },
      async handler(ctx) {
        const f = body(ctx, grantForm);
        // The same removal as DELETE /api/admin/permissions.
        await revokeDataset(identity, f.user_id, f.grant);
        redirectWithNotice(ctx, SECTION, 'removed');
      },
    },
  ];
}

/** `?user=` holds an id (the filter form's select) or an email (typed by hand). */
function findUser(users: readonly UserRecord[], idOrEmail: string): UserRecord {
  const email = idOrEmail.toLowerCase();
  const user = users.find((u) => u.id === idOrEmail || u.email === email);
  if (!user) throw new NotFoundError(`No user ${JSON.stringify(idOrEmail)}`);
  return user;
}

/** What a grant can name: registered table ids and their buckets as `<bucket>.*`. */
function knownDatasets(data: DataContext): { tables: string[]; buckets: string[]; all: Set<string> } {
  const entries = data.registry.list();
  const tables = entries.map((e) => e.id);
  const buckets = [...new Set(entries.flatMap((e) => (e.bucket ? [`${e.bucket}.*`] : [])))].sort();
  return { tables, buckets, all: new Set([...tables, ...buckets]) };
}
