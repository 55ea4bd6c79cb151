import type { Context } from 'koa';
import { z } from 'zod';
import { body, formatDateTime, param, ROLES, type RouteDefinition } from '@aida/core';
import type { SetupLink } from '../../identity/identity.js';
import { assertRole, type UserRecord } from '../../identity/users.js';
import type { PortalContext } from '../context.js';
import { serverUrl } from '../server-url.js';
import { noticeFrom, redirectWithNotice } from '../notice.js';

// The forms' fields; `_csrf` is checked before any route runs (csrfGuard). Missing fields are
// read as empty so the services give their own message ("A valid email address is required").
const inviteForm = z.object({
  email: z.coerce.string().trim().default(''),
  name: z.coerce.string().trim().optional(),
  role: z.coerce.string().default('analyst'),
});
const roleForm = z.object({ role: z.coerce.string().default('') });
const noFields = z.object({});
const userParams = z.object({ id: z.string().meta({ description: 'The user id' }) });
const admin = { role: 'admin' } as const;
const BACK = { status: 302, description: 'Back to /admin/users with a notice' } as const;

/** `/admin/users`: invite, role, deactivate/activate, reset password. */
export function adminUserPages(portal: PortalContext): RouteDefinition[] {
  const id = portal.data.identity;
  // Where a link in a mail or on the page points: base_url when set (behind a proxy), else the
  // address the admin's browser used, under the host's mount point.
  const absolute = (ctx: Context, link: SetupLink) => `${serverUrl(portal, ctx)}${link.setup_path}`;
  const backWith = (ctx: Context, code: string, user: UserRecord) => redirectWithNotice(ctx, `/admin/users?user=${encodeURIComponent(user.id)}`, code);

  /**
   * Mails a setup link when a mailer is registered, else shows it once. A failed mail loses
   * nothing: the user exists and the page shows the link with the reason, to send by hand.
   */
  const deliver = async (ctx: Context, kind: 'invite' | 'reset', user: UserRecord, link: SetupLink) => {
    const url = absolute(ctx, link);
    const mail = portal.mail();
    let mailError: string | undefined;
    if (mail) {
      try {
        await mail.mailer.send(linkMail(kind, user, url, link, mail.instanceName, ctx.state.user!.email));
        backWith(ctx, kind === 'invite' ? 'invite_mailed' : 'reset_mailed', user);
        return;
      } catch (e) {
        mailError = e instanceof Error ? e.message : String(e);
        portal.data.logger.warn({ err: e, to: user.email }, `mailing the ${kind} link failed; the admin is shown it instead`);
      }
    }
    // The link sets a password: it is on this page only, and no cache may keep a copy.
    ctx.set('Cache-Control', 'no-store');
    await ctx.render('admin/user-link.njk', {
      title: kind === 'invite' ? 'Invitation link' : 'Password reset link',
      section: '/admin/users',
      kind,
      target: user,
      url,
      link,
      mailError,
    });
    // Rendering set 200; an invite created a user.
    if (kind === 'invite') ctx.status = 201;
  };

  return [
    {
      method: 'GET',
      path: '/admin/users',
      access: admin,
      summary: 'Admin page: every user with role and status; invite, change role, deactivate, reset password',
      output: { media: ['text/html'] },
      async handler(ctx) {
        const users = id.users.list();
        const subject = typeof ctx.query.user === 'string' ? id.users.get(ctx.query.user) : undefined;
        await ctx.render('admin/users.njk', {
          title: 'Users',
          section: '/admin/users',
          users,
          roles: ROLES,
          lastActive: await lastActivity(portal),
          me: ctx.state.user!.id,
          canMail: portal.mail() !== undefined,
          notice: noticeFrom(ctx, notices(subject)),
        });
      },
    },
    {
      method: 'POST',
      path: '/admin/users',
      access: admin,
      summary: 'Admin form: invite a user; the setup link is mailed when a mailer is registered, else shown once',
      input: { body: inviteForm, bodyTypes: ['form'] },
      output: {
        status: 201,
        media: ['text/html'],
        description: 'The page with the setup link (no-store); with a mailer, a redirect to /admin/users with a notice',
        errors: { 409: 'A user with that email exists' },
      },
      async handler(ctx) {
        const f = body(ctx, inviteForm);
        const { user, invite } = await id.inviteUser({ email: f.email, name: f.name || null, role: assertRole(f.role) });
        // Invites carry no password, so there is always a link.
        await deliver(ctx, 'invite', user, invite!);
      },
    },
    {
      method: 'POST',
      path: '/admin/users/:id/role',
      access: admin,
      summary: "Admin form: change a user's role",
      input: { params: userParams, body: roleForm, bodyTypes: ['form'] },
      output: { ...BACK, errors: { 404: 'No such user', 409: 'The change would demote yourself or the last admin' } },
      async handler(ctx) {
        const user = await id.updateUser(ctx.state.user!.id, param(ctx, userParams).id, { role: assertRole(body(ctx, roleForm).role) });
        backWith(ctx, 'role_changed', user);
      },
    },
    {
      method: 'POST',
      path: '/admin/users/:id/deactivate',
      access: admin,
      summary: 'Admin form: deactivate a user; their sessions and tokens stop working at once',
      input: { params: userParams, body: noFields, bodyTypes: ['form'] },
      output: { ...BACK, errors: { 404: 'No such user', 409: 'You cannot deactivate yourself or the last admin' } },
      async handler(ctx) {
        backWith(ctx, 'deactivated', await id.setActive(ctx.state.user!.id, param(ctx, userParams).id, false));
      },
    },
    {
      method: 'POST',
      path: '/admin/users/:id/activate',
      access: admin,
      summary: 'Admin form: let a deactivated user sign in again',
      input: { params: userParams, body: noFields, bodyTypes: ['form'] },
      output: { ...BACK, errors: { 404: 'No such user' } },
      async handler(ctx) {
        backWith(ctx, 'activated', await id.setActive(ctx.state.user!.id, param(ctx, userParams).id, true));
      },
    },
    {
      method: 'POST',
      path: '/admin/users/:id/reset-password',
      access: admin,
      summary: 'Admin form: a single-use link to set a new password (valid 1 day), mailed or shown once',
      input: { params: userParams, body: noFields, bodyTypes: ['form'] },
      output: {
        media: ['text/html'],
        description: 'The page with the reset link (no-store); with a mailer, a redirect to /admin/users with a notice',
        errors: { 404: 'No such user' },
      },
      async handler(ctx) {
        const user = id.users.require(param(ctx, userParams).id);
        await deliver(ctx, 'reset', user, await id.resetLink(user.id));
      },
    },
  ];
}

/** The page's notices; the user they name is looked up by id, so the URL cannot make the page say anything. */
function notices(subject: UserRecord | undefined): Record<string, string> {
  const who = subject?.email ?? 'the user';
  return {
    invite_mailed: `Invitation mailed to ${who}.`,
    reset_mailed: `Password reset link mailed to ${who}.`,
    role_changed: `${who} is now ${subject?.role ?? 'in their new role'}.`,
    deactivated: `${who} is deactivated: their sessions and tokens no longer work.`,
    activated: `${who} can sign in again.`,
  };
}

/** The mail carrying an invitation or a reset link. */
function linkMail(kind: 'invite' | 'reset', user: UserRecord, url: string, link: SetupLink, instance: string, from: string) {
  const until = formatDateTime(new Date(link.expires_at));
  const hello = `Hello ${user.name ?? user.email},`;
  if (kind === 'invite') {
    return {
      to: user.email,
      subject: `You are invited to ${instance}`,
      text: `${hello}\n\n${from} invited you to ${instance} as ${user.role}. Choose your password here (the link works once, until ${until}):\n\n${url}\n\nIf you did not expect this invitation, ignore this mail.\n`,
    };
  }
  return {
    to: user.email,
    subject: `Reset your password for ${instance}`,
    text: `${hello}\n\n${from} sent you a link to set a new password for ${instance} (it works once, until ${until}):\n\n${url}\n\nIf you did not ask for this, ignore this mail; your password stays as it is.\n`,
  };
}

/**
 * When each user last did something the host records: the latest audited call (API calls and
 * form posts) or use of one of their tokens. Signing in is audited before the user is known,
 * so it does not count by itself.
 */
async function lastActivity(portal: PortalContext): Promise<Record<string, Date>> {
  const id = portal.data.identity;
  await id.audit.flush();
  const rows = await portal.data.systemDb.all<{ user_id: string; at: Date }>(
    'SELECT user_id, max(timestamp) AS at FROM audit_log WHERE user_id IS NOT NULL GROUP BY user_id',
  );
  const last: Record<string, Date> = {};
  const seen = (user: string, at: Date | null) => {
    if (at && (!last[user] || last[user].getTime() < at.getTime())) last[user] = at;
  };
  for (const r of rows) seen(r.user_id, new Date(r.at));
  for (const p of id.pats.list()) seen(p.user_id, p.last_used_at);
  return last;
}
