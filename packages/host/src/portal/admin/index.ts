import type { RouteDefinition } from '@aida/core';
import type { PortalContext } from '../context.js';
import { adminAuditPages } from './audit.js';
import { adminJobPages } from './jobs.js';
import { adminPermissionPages } from './permissions.js';
import { adminTablePages } from './tables.js';
import { adminTokenPages } from './tokens.js';
import { adminUserPages } from './users.js';

/** The admin sections, in the order the admin sub-navigation shows them. */
export const ADMIN_SECTIONS = [
  { href: '/admin/tables', label: 'Tables', about: 'Describe tables, make them public or private, schedule and run syncs, register discovered tables.' },
  { href: '/admin/users', label: 'Users', about: 'Invite people, change roles, deactivate accounts, reset passwords.' },
  { href: '/admin/permissions', label: 'Permissions', about: 'Grant users private tables or whole buckets.' },
  { href: '/admin/tokens', label: 'Tokens', about: "Every user's personal access tokens; revoke one." },
  { href: '/admin/audit', label: 'Audit log', about: 'Who did what and when, with filters.' },
  { href: '/admin/jobs', label: 'Jobs', about: 'Scheduled jobs, their last outcome and next run; run one now.' },
] as const;

/** `/admin` (the list of sections) and every admin page; admin role only, others get the HTML 403 page. */
export function adminPages(portal: PortalContext): RouteDefinition[] {
  return [
    {
      method: 'GET',
      path: '/admin',
      access: { role: 'admin' },
      summary: 'Admin page: the list of admin sections',
      output: { media: ['text/html'] },
      async handler(ctx) {
        await ctx.render('admin/index.njk', { title: 'Admin', sections: ADMIN_SECTIONS });
      },
    },
    ...adminTablePages(portal),
    ...adminUserPages(portal),
    ...adminPermissionPages(portal),
    ...adminTokenPages(portal),
    ...adminAuditPages(portal),
    ...adminJobPages(portal),
  ];
}
