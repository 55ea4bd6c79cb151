import { z } from 'zod';
import { query, type RouteDefinition } from '@aida/core';
import { pageQuery } from '../../http/paging.js';
import type { PortalContext } from '../context.js';

const DAY_MS = 86_400_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const NOT_A_DAY = 'must be a day written YYYY-MM-DD, e.g. 2025-03-31';

/** An empty form field means "no filter". */
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((s) => s || undefined);

/**
 * A `<input type="date">` value, read as a UTC day: its first millisecond, or (`endOfDay`, for
 * `until`) its last, so "until 2025-03-31" includes everything on the 31st.
 */
function utcDay(endOfDay: boolean) {
  return optionalText(100).transform((s, ctx) => {
    if (s === undefined) return undefined;
    const start = DAY.test(s) ? new Date(`${s}T00:00:00.000Z`) : new Date(Number.NaN);
    // 2025-02-30 parses as a valid date in no engine here, but be sure the day is the one typed.
    if (Number.isNaN(start.getTime()) || start.toISOString().slice(0, 10) !== s) {
      ctx.addIssue({ code: 'custom', message: NOT_A_DAY });
      return z.NEVER;
    }
    return endOfDay ? new Date(start.getTime() + DAY_MS - 1) : start;
  });
}

const auditPageQuery = z
  .object({
    user_id: optionalText(100),
    action: optionalText(300),
    since: utcDay(false),
    until: utcDay(true),
  })
  .extend(pageQuery({ defaultLimit: 50, maxLimit: 500 }).shape)
  .refine((q) => !q.since || !q.until || q.since <= q.until, { path: ['until'], message: 'is before since: pick an end day on or after the start day' });

/** The filters as the form sent them, for the form's fields and the pager's links. */
function filterQueryString(raw: Record<string, unknown>): string {
  const kept = new URLSearchParams();
  for (const key of ['user_id', 'action', 'since', 'until'] as const) {
    const v = raw[key];
    if (typeof v === 'string' && v.trim()) kept.set(key, v.trim());
  }
  return kept.toString();
}

/** `/admin/audit`: the audit log with filters by user, action and UTC day range, paged. */
export function adminAuditPages(portal: PortalContext): RouteDefinition[] {
  const identity = portal.data.identity;
  return [
    {
      method: 'GET',
      path: '/admin/audit',
      access: { role: 'admin' },
      summary: 'Admin page: the audit log, filtered by user, action and day range, paged',
      input: { query: auditPageQuery },
      output: { media: ['text/html'] },
      async handler(ctx) {
        const q = query(ctx, auditPageQuery);
        // The same query GET /api/admin/audit answers from.
        const { items, total } = await identity.audit.query(q);
        const users = identity.users.list().sort((a, b) => a.email.localeCompare(b.email));
        const emails = new Map(users.map((u) => [u.id, u.email]));
        const filterQuery = filterQueryString(ctx.query);
        await ctx.render('admin/audit.njk', {
          title: 'Audit log',
          section: '/admin/audit',
          rows: items.map((r) => ({ ...r, email: r.user_id ? emails.get(r.user_id) : undefined })),
          users,
          filters: {
            user_id: q.user_id ?? '',
            action: q.action ?? '',
            // The days as typed (valid, since they parsed), for the date inputs.
            since: q.since ? q.since.toISOString().slice(0, 10) : '',
            until: q.until ? q.until.toISOString().slice(0, 10) : '',
          },
          filtered: filterQuery !== '',
          page: { limit: q.limit, offset: q.offset, total },
          pagerHref: `?${filterQuery ? `${filterQuery}&` : ''}`,
        });
      },
    },
  ];
}
