import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailerToken, type Mailer, type MailMessage } from '@aida/core';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { ADMIN, bootstrap, call, decode, userWithSession } from '../identity/helpers.js';
import { browserSession, csrfOf, getPage, postForm, submitForm } from './forms.js';

/** A Mailer that keeps what it is given, or fails when told to: mail is an outside service. */
class RecordingMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  failWith: string | undefined;
  send(message: MailMessage): Promise<void> {
    if (this.failWith) return Promise.reject(new Error(this.failWith));
    this.sent.push(message);
    return Promise.resolve();
  }
}

let t: TestHost; // no mailer: links are shown
let admin: string;
let adminId: string;
let cookie: string;
const mailer = new RecordingMailer();
let m: TestHost; // with the recording mailer
let mAdmin: string;
let mCookie: string;

beforeAll(async () => {
  [t, m] = await Promise.all([startTestHost(), startTestHost({ overrides: [[mailerToken, mailer]] })]);
  [admin, mAdmin] = await Promise.all([bootstrap(t), bootstrap(m)]);
  adminId = decode(admin).sub;
  [{ cookie }, { cookie: mCookie }] = await Promise.all([browserSession(t), browserSession(m)]);
});
afterAll(() => Promise.all([t?.stop(), m?.stop()]));

/** The setup link a link page shows, as the browser would copy it. */
function shownLink(page: string): URL {
  const m = /<code id="setup-link" data-setup-link>([^<]+)<\/code>/.exec(page);
  if (!m) throw new Error('no setup link on the page');
  return new URL(m[1]!.replaceAll('&amp;', '&'));
}

/** Sets a password with the link's token, as the setup page's form does, then signs in with it. */
async function useLink(host: TestHost, link: URL, password: string) {
  const email = link.searchParams.get('email')!;
  const setup = await call(host, 'POST', '/auth/password/setup', { body: { email, token: link.searchParams.get('token'), password } });
  expect(setup.status, setup.text).toBe(200);
  return call(host, 'POST', '/auth/token', { body: { email, password } });
}

async function userByEmail(host: TestHost, token: string, email: string) {
  const list = await call(host, 'GET', '/api/users', { token });
  return (list.json.users as { id: string; email: string; role: string; active: boolean; has_password: boolean }[]).find((u) => u.email === email);
}

describe('/admin/users', () => {
  it('lists every user with role, status and created time, and the invite form', async () => {
    await userWithSession(t, admin, 'listed@example.com', 'viewer');
    const page = await getPage(t, '/admin/users', cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('aria-current="page">Users</a>');
    const row = new RegExp(`<tr data-user="[^"]+">\\s*<td>listed@example.com</td>[\\s\\S]*?</tr>`).exec(page.text)?.[0];
    expect(row).toBeDefined();
    expect(row).toContain('<td data-role>viewer</td>');
    expect(row).toContain('<span class="badge ok" data-status>active</span>');
    expect(row).toMatch(/<time datetime="\d{4}-/);
    expect(row).toContain('/reset-password');
    expect(page.text).toContain(`action="/admin/users"`);
    expect(page.text).toContain('No mailer is set up');
    // The admin's own row has no role or deactivate form.
    const mine = new RegExp(`<tr data-user="${adminId}">[\\s\\S]*?</tr>`).exec(page.text)![0];
    expect(mine).toContain('(you)');
    expect(mine).not.toContain('/deactivate');
    expect(mine).not.toContain('/role"');
  });

  it('invites without a mailer: the link is shown once, sets the password and the user signs in', async () => {
    const res = await submitForm(t, '/admin/users', '/admin/users', cookie, { email: 'New.Person@example.com', name: 'New Person', role: 'viewer' });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = await res.text();
    expect(page).toContain('new.person@example.com is invited as viewer');
    expect(page).toContain('data-copy="#setup-link"');
    const link = shownLink(page);
    expect(`${link.origin}${link.pathname}`).toBe(`${t.url}/login/setup`);
    expect(link.searchParams.get('email')).toBe('new.person@example.com');
    const created = await userByEmail(t, admin, 'new.person@example.com');
    expect(created).toMatchObject({ role: 'viewer', active: true, has_password: false });
    // The link's page opens, and its token sets the password once.
    expect((await getPage(t, `${link.pathname}${link.search}`)).status).toBe(200);
    const signedIn = await useLink(t, link, 'new-password-1');
    expect(signedIn.status).toBe(200);
    expect((await call(t, 'GET', '/auth/me', { token: signedIn.json.access_token })).json).toMatchObject({ email: 'new.person@example.com', role: 'viewer' });
    const again = await call(t, 'POST', '/auth/password/setup', {
      body: { email: 'new.person@example.com', token: link.searchParams.get('token'), password: 'other-password-1' },
    });
    expect(again.status).toBe(400);
  });

  it('refuses a taken email (409) and an unknown role (400) as HTML pages, creating nobody', async () => {
    const taken = await submitForm(t, '/admin/users', '/admin/users', cookie, { email: ADMIN.email, role: 'viewer' });
    expect(taken.status).toBe(409);
    expect(taken.headers.get('content-type')).toMatch(/text\/html/);
    expect(await taken.text()).toContain('already exists');
    const role = await submitForm(t, '/admin/users', '/admin/users', cookie, { email: 'wizard@example.com', role: 'wizard' });
    expect(role.status).toBe(400);
    expect(await role.text()).toContain('Unknown role');
    expect(await userByEmail(t, admin, 'wizard@example.com')).toBeUndefined();
  });

  it('changes a role: the notice names the user and GET /api/users/:id has it', async () => {
    const u = await userWithSession(t, admin, 'promoted@example.com', 'viewer');
    const res = await submitForm(t, '/admin/users', `/admin/users/${u.id}/role`, cookie, { role: 'analyst' });
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location).toBe(`/admin/users?user=${u.id}&notice=role_changed`);
    expect((await call(t, 'GET', `/api/users/${u.id}`, { token: admin })).json.role).toBe('analyst');
    expect((await getPage(t, location, cookie)).text).toContain('<p class="notice" role="status">promoted@example.com is now analyst.</p>');
  });

  it('deactivates a user, whose token then fails on /auth/me; activating restores it', async () => {
    const u = await userWithSession(t, admin, 'leaver@example.com', 'analyst');
    expect((await call(t, 'GET', '/auth/me', { token: u.token })).status).toBe(200);
    const off = await submitForm(t, '/admin/users', `/admin/users/${u.id}/deactivate`, cookie);
    expect(off.status).toBe(303);
    expect((await call(t, 'GET', '/auth/me', { token: u.token })).status).toBe(401);
    const page = await getPage(t, off.headers.get('location')!, cookie);
    expect(page.text).toContain('leaver@example.com is deactivated');
    const row = new RegExp(`<tr data-user="${u.id}">[\\s\\S]*?</tr>`).exec(page.text)![0];
    expect(row).toContain('data-status>deactivated</span>');
    expect(row).toContain(`action="/admin/users/${u.id}/activate"`);
    const on = await submitForm(t, '/admin/users', `/admin/users/${u.id}/activate`, cookie);
    expect(on.status).toBe(303);
    expect((await call(t, 'GET', '/auth/me', { token: u.token })).status).toBe(200);
    expect((await call(t, 'GET', `/api/users/${u.id}`, { token: admin })).json.active).toBe(true);
  });

  it('an admin cannot deactivate or demote themself: a 409 page with the reason, nothing changed', async () => {
    for (const [action, fields] of [
      ['deactivate', {}],
      ['role', { role: 'viewer' }],
    ] as const) {
      const res = await submitForm(t, '/admin/users', `/admin/users/${adminId}/${action}`, cookie, fields);
      expect(res.status, action).toBe(409);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(await res.text()).toContain('You cannot change your own role, deactivate or delete yourself');
    }
    expect((await call(t, 'GET', `/api/users/${adminId}`, { token: admin })).json).toMatchObject({ role: 'admin', active: true });
    expect((await call(t, 'GET', '/auth/me', { token: admin })).status).toBe(200);
  });

  it('resets a password without a mailer: the link is shown once and sets a new password', async () => {
    const u = await userWithSession(t, admin, 'forgetful@example.com', 'analyst');
    const res = await submitForm(t, '/admin/users', `/admin/users/${u.id}/reset-password`, cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = await res.text();
    expect(page).toContain('Send forgetful@example.com this link to set a new password');
    expect((await useLink(t, shownLink(page), 'brand-new-password')).status).toBe(200);
    expect((await call(t, 'POST', '/auth/token', { body: { email: 'forgetful@example.com', password: 'user-password-1' } })).status).toBe(401);
  });

  it('404s for an unknown user', async () => {
    const res = await submitForm(t, '/admin/users', '/admin/users/no-such-user/reset-password', cookie);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
  });
});

describe('/admin/users with a mailer', () => {
  it('mails the invitation with an absolute setup URL that works, and says so', async () => {
    const before = mailer.sent.length;
    const page = await getPage(m, '/admin/users', mCookie);
    expect(page.text).toContain('The invitation, with a link to choose a password, is mailed to them.');
    const res = await postForm(m, '/admin/users', mCookie, { _csrf: csrfOf(page.text), email: 'mailed@example.com', name: 'Mailed', role: 'analyst' });
    expect(res.status).toBe(303);
    const created = await userByEmail(m, mAdmin, 'mailed@example.com');
    expect(res.headers.get('location')).toBe(`/admin/users?user=${created!.id}&notice=invite_mailed`);
    expect((await getPage(m, res.headers.get('location')!, mCookie)).text).toContain('Invitation mailed to mailed@example.com.');
    expect(mailer.sent.length - before).toBe(1);
    const mail = mailer.sent.at(-1)!;
    expect(mail.to).toBe('mailed@example.com');
    expect(mail.subject).toBe('You are invited to AIDA');
    expect(mail.text).toContain(`${ADMIN.email} invited you to AIDA as analyst`);
    const url = /(http:\/\/\S+\/login\/setup\?\S+)/.exec(mail.text)?.[1];
    expect(url).toBeDefined();
    const link = new URL(url!);
    expect(link.origin).toBe(m.url);
    expect((await useLink(m, link, 'mailed-password-1')).status).toBe(200);
  });

  it('mails a reset link', async () => {
    const u = await userWithSession(m, mAdmin, 'reset-by-mail@example.com', 'viewer');
    const res = await submitForm(m, '/admin/users', `/admin/users/${u.id}/reset-password`, mCookie);
    expect(res.status).toBe(303);
    expect((await getPage(m, res.headers.get('location')!, mCookie)).text).toContain('Password reset link mailed to reset-by-mail@example.com.');
    const mail = mailer.sent.at(-1)!;
    expect(mail).toMatchObject({ to: 'reset-by-mail@example.com', subject: 'Reset your password for AIDA' });
    expect((await useLink(m, new URL(/(http:\/\/\S+)/.exec(mail.text)![1]!), 'reset-password-22')).status).toBe(200);
  });

  it('keeps the user when mailing fails: the link is shown with the reason', async () => {
    mailer.failWith = 'connection refused by smtp.example.com';
    try {
      const res = await submitForm(m, '/admin/users', '/admin/users', mCookie, { email: 'unlucky@example.com', role: 'viewer' });
      expect(res.status).toBe(201);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const page = await res.text();
      expect(page).toContain('Mailing the link to unlucky@example.com failed: connection refused by smtp.example.com');
      expect(page).toContain('The user was created');
      expect(await userByEmail(m, mAdmin, 'unlucky@example.com')).toMatchObject({ role: 'viewer', has_password: false });
      expect((await useLink(m, shownLink(page), 'unlucky-password-1')).status).toBe(200);
    } finally {
      mailer.failWith = undefined;
    }
  });
});

describe('/admin/users is for admins, and its forms need the CSRF token', () => {
  it('gives an analyst the HTML 403 page, for the page and its forms', async () => {
    await userWithSession(t, admin, 'curious@example.com', 'analyst');
    const { cookie: analyst } = await browserSession(t, { email: 'curious@example.com', password: 'user-password-1' });
    const page = await getPage(t, '/admin/users', analyst);
    expect(page.status).toBe(403);
    expect(page.text).toContain('Not allowed');
    const dashboard = await getPage(t, '/dashboard', analyst);
    const res = await postForm(t, '/admin/users', analyst, { _csrf: csrfOf(dashboard.text), email: 'sneaky@example.com', role: 'admin' });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await userByEmail(t, admin, 'sneaky@example.com')).toBeUndefined();
  });

  it('refuses a form without the CSRF token: 403, nobody invited or deactivated', async () => {
    const res = await postForm(t, '/admin/users', cookie, { email: 'forged@example.com', role: 'admin' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('security token');
    expect(await userByEmail(t, admin, 'forged@example.com')).toBeUndefined();
    const u = await userWithSession(t, admin, 'target@example.com', 'viewer');
    expect((await postForm(t, `/admin/users/${u.id}/deactivate`, cookie, {})).status).toBe(403);
    expect((await call(t, 'GET', `/api/users/${u.id}`, { token: admin })).json.active).toBe(true);
  });
});
