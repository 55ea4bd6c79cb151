import { startTestHost, type TestHost } from '@aida/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { bootstrapAdmin, claims, createUser, eventually, sendLink, smtpConfig, verify } from './helpers.js';
import { closedPort, linkIn, startCaptureServer, type CaptureServer } from './smtp-capture.js';

const INVALID = 'This sign-in link is invalid, expired or already used';
const SMTP_PASSWORD = 'smtp-password-for-tests';
process.env.AIDA_TEST_EMAIL_SMTP_PASSWORD = SMTP_PASSWORD;

describe('email magic link against a local SMTP server', () => {
  let smtp: CaptureServer;
  let t: TestHost;
  let admin: string;
  const ada = 'ada@example.test';
  const grace = 'grace@example.test';
  const linus = 'linus@example.test';
  const gone = 'gone@example.test';

  /** Asks for a link for `email` and returns the link from the mail that arrives. */
  async function linkFor(email: string): Promise<URL> {
    const since = smtp.mails.length;
    const res = await sendLink(t, email);
    expect(res.status).toBe(200);
    return linkIn(await smtp.waitForMail(email, { since }));
  }

  beforeAll(async () => {
    smtp = await startCaptureServer({ credentials: { user: 'aida-mailer', pass: SMTP_PASSWORD } });
    // No base_url: links are built from the request's origin, i.e. the test host's URL.
    t = await startTestHost({
      plugins: [{ plugin, config: { smtp: smtpConfig(smtp.port, { user: 'aida-mailer', password_env: 'AIDA_TEST_EMAIL_SMTP_PASSWORD' }) } }],
    });
    admin = await bootstrapAdmin(t);
    for (const email of [ada, grace, linus]) await createUser(t, admin, email);
    const goneId = await createUser(t, admin, gone);
    const off = await t.request(`/api/users/${goneId}/deactivate`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    expect(off.status).toBeLessThan(300);
  });
  afterAll(async () => {
    await t?.stop();
    await smtp?.close();
  });

  it('the link from the mail signs the user in once, with a session the host issued', async () => {
    const link = await linkFor(ada);
    expect(`${link.origin}${link.pathname}`).toBe(`${t.url}/auth/email/verify`);
    expect(link.searchParams.get('email')).toBe(ada);
    const token = link.searchParams.get('token')!;
    expect(token.length).toBeGreaterThanOrEqual(20);

    const first = await verify(t, ada, token);
    expect(first.status).toBe(200);
    const session = (await first.json()) as { access_token: string; token_type: string; email: string };
    expect(session).toMatchObject({ token_type: 'bearer', email: ada });
    expect(claims(session.access_token)).toMatchObject({ typ: 'session', email: ada, role: 'analyst' });
    const me = await t.request('/auth/me', { headers: { authorization: `Bearer ${session.access_token}` } });
    expect(me.status).toBe(200);

    const second = await verify(t, ada, token);
    expect(second.status).toBe(401);
    expect(await second.json()).toMatchObject({ message: INVALID });
  });

  it('the mail goes from the configured sender, authenticated with the password from password_env', async () => {
    const since = smtp.mails.length;
    await linkFor(grace);
    const mail = smtp.mails.slice(since).find((m) => m.to.includes(grace))!;
    expect(mail.from).toBe('aida@example.test');
    expect(mail.user).toBe('aida-mailer');
    expect(mail.raw).toMatch(/^Subject: Your AIDA sign-in link/m);
    expect(mail.raw).toContain('valid for 1 hour');
  });

  it('opening the link in a browser sets the session cookie and redirects to the dashboard, once', async () => {
    const link = await linkFor(grace);
    const path = `${link.pathname}${link.search}`;
    const res = await t.request(path, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/dashboard');
    const cookie = res.headers.get('set-cookie') ?? '';
    const jwt = /access_token=([^;]+)/.exec(cookie)?.[1];
    expect(jwt, `no access_token cookie in ${cookie}`).toBeDefined();
    expect(claims(decodeURIComponent(jwt!))).toMatchObject({ typ: 'session', email: grace });
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');

    const again = await t.request(path, { redirect: 'manual' });
    expect(again.status).toBe(302);
    expect(again.headers.get('location')).toBe('/login?error=invalid_link');
    expect(again.headers.get('set-cookie') ?? '').not.toMatch(/access_token=[^;]+/);
  });

  it('a link with a wrong or missing token redirects the browser to the login page with an error', async () => {
    for (const query of [`?email=${encodeURIComponent(linus)}&token=not-the-token`, `?email=${encodeURIComponent(linus)}`, '']) {
      const res = await t.request(`/auth/email/verify${query}`, { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('/login?error=invalid_link');
    }
  });

  it('a wrong token is refused with 401 and a clear message', async () => {
    const res = await verify(t, linus, 'x'.repeat(43));
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ message: INVALID });
  });

  it('an unknown or deactivated address gets the same answer as an existing one, and no mail', async () => {
    const known = await sendLink(t, linus);
    const unknown = await sendLink(t, 'nobody@example.test');
    const deactivated = await sendLink(t, gone);
    const knownBody = await known.text();
    for (const res of [unknown, deactivated]) {
      expect(res.status).toBe(known.status);
      expect(res.headers.get('content-type')).toBe(known.headers.get('content-type'));
      expect(await res.text()).toBe(knownBody);
    }
    expect(JSON.parse(knownBody)).toEqual({ message: expect.stringContaining('If an account exists for that address') });
    // The unknown and deactivated requests started no delivery; once linus's mail is in, none can still come.
    await smtp.waitForMail(linus);
    const recipients = smtp.mails.flatMap((m) => m.to);
    expect(recipients).not.toContain('nobody@example.test');
    expect(recipients).not.toContain(gone);
  });

  it('an HTML form post works like JSON and gets a page back', async () => {
    const since = smtp.mails.length;
    const res = await t.request('/auth/email/send-link', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
      body: new URLSearchParams({ email: linus }).toString(),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('If an account exists for that address');
    const link = linkIn(await smtp.waitForMail(linus, { since }));
    expect((await verify(t, linus, link.searchParams.get('token')!)).status).toBe(200);
  });

  it('asking for an address that is not an email address is a 400 naming the field, like any bad input', async () => {
    for (const body of [{}, { email: 'not an address' }, { email: 42 }]) {
      const res = await t.request('/auth/email/send-link', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'AIDA_INPUT_INVALID', detail: { issues: [{ field: 'email', message: 'Enter a valid email address' }] } });
    }
  });

  it('documents its routes in the OpenAPI document: bodies, answers and errors', async () => {
    const doc = await (await t.request('/api/openapi.json')).json();
    const send = doc.paths['/auth/email/send-link'].post;
    expect(Object.keys(send.requestBody.content)).toEqual(['application/json', 'application/x-www-form-urlencoded']);
    expect(Object.keys(send.responses['200'].content)).toEqual(['application/json', 'text/html']);
    expect(send.responses['429'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    const verifyOp = doc.paths['/auth/email/verify'];
    expect(verifyOp.post.responses['200'].content['application/json'].schema.required).toEqual(expect.arrayContaining(['access_token', 'expires_at']));
    expect(Object.keys(verifyOp.get.responses)).toEqual(['302', '400']);
  });

  it('the login page offers the email form', async () => {
    const html = await (await t.request('/login')).text();
    expect(html).toContain('data-provider="email"');
    expect(html).toContain('/auth/email/send-link');
  });
});

describe('email magic link expiry and base_url', () => {
  let smtp: CaptureServer;
  let t: TestHost;
  const user = 'expiring@example.test';

  beforeAll(async () => {
    smtp = await startCaptureServer();
    t = await startTestHost({
      plugins: [{ plugin, config: { smtp: smtpConfig(smtp.port), base_url: 'https://aida.example.test/', link_ttl: '1s' } }],
    });
    await createUser(t, await bootstrapAdmin(t), user);
  });
  afterAll(async () => {
    await t?.stop();
    await smtp?.close();
  });

  it('the link is built on base_url, and stops working once it has expired', async () => {
    const res = await sendLink(t, user);
    expect(await res.json()).toEqual({ message: expect.stringContaining('valid for 1 second') });
    const link = linkIn(await smtp.waitForMail(user));
    expect(`${link.origin}${link.pathname}`).toBe('https://aida.example.test/auth/email/verify');
    await new Promise((r) => setTimeout(r, 1600));
    const late = await verify(t, user, link.searchParams.get('token')!);
    expect(late.status).toBe(401);
    expect(await late.json()).toMatchObject({ message: INVALID });
  });
});

describe('email magic link when SMTP fails', () => {
  const user = 'unlucky@example.test';

  async function hostWith(smtpPort: number): Promise<TestHost> {
    const t = await startTestHost({ plugins: [{ plugin, config: { smtp: smtpConfig(smtpPort, { timeout: '2s' }) } }] });
    await createUser(t, await bootstrapAdmin(t), user);
    return t;
  }

  /** The mailer's entry in /api/health once a delivery has failed. */
  async function mailerDegraded(t: TestHost): Promise<{ status: string; detail?: string }> {
    return eventually(async () => {
      const health = (await (await t.request('/api/health')).json()) as { services: Record<string, { status: string; detail?: string }> };
      const mailer = health.services['email:mailer'];
      return mailer?.status === 'degraded' ? mailer : undefined;
    }, 'the mailer to report a failed delivery');
  }

  it('a server that refuses the recipient still gets the caller the generic answer', async () => {
    const smtp = await startCaptureServer({ rejectRecipients: true });
    const t = await hostWith(smtp.port);
    try {
      const res = await sendLink(t, user);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ message: expect.stringContaining('If an account exists for that address') });
      const mailer = await mailerDegraded(t);
      expect(mailer.detail).toContain('EENVELOPE');
      expect(smtp.mails).toHaveLength(0);
    } finally {
      await t.stop();
      await smtp.close();
    }
  });

  it('an unreachable server still gets the caller the generic answer', async () => {
    const t = await hostWith(await closedPort());
    try {
      const unknown = await sendLink(t, 'nobody@example.test');
      const res = await sendLink(t, user);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(await unknown.text());
      expect((await mailerDegraded(t)).detail).toContain('ESOCKET');
    } finally {
      await t.stop();
    }
  });
});

describe('email magic link rate limit', () => {
  let smtp: CaptureServer;
  let t: TestHost;

  beforeAll(async () => {
    smtp = await startCaptureServer();
    t = await startTestHost({ plugins: [{ plugin, config: { smtp: smtpConfig(smtp.port) } }] });
    await createUser(t, await bootstrapAdmin(t), 'eager@example.test');
  });
  afterAll(async () => {
    await t?.stop();
    await smtp?.close();
  });

  it('asking again and again for the same address ends in 429 with Retry-After', async () => {
    let last: Response | undefined;
    for (let i = 0; i < 100; i++) {
      last = await sendLink(t, 'eager@example.test');
      if (last.status !== 200) break;
    }
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await last!.json()).toMatchObject({ code: 'AIDA_RATE_LIMITED' });
  });
});
