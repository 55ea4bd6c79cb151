import { startTestHost, type TestHost } from '@aida/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { bootstrapAdmin, createUser, smtpConfig } from './helpers.js';
import { linkIn, startCaptureServer, type CaptureServer } from './smtp-capture.js';

/** `next=` from the login page's form, carried through the mailed link to where sign-in lands. */
describe('email sign-in lands where the login page asked', () => {
  let smtp: CaptureServer;
  let t: TestHost;
  let users = 0;

  /** A fresh account (each asks for one link, well inside the per-account limit). */
  async function someone(): Promise<string> {
    const email = `person${++users}@example.test`;
    await createUser(t, admin, email);
    return email;
  }
  let admin: string;

  /** Posts the login page's form (email and the hidden `next`) as a browser does, and returns the mailed link. */
  async function linkFromForm(email: string, next?: string): Promise<URL> {
    const since = smtp.mails.length;
    const res = await t.request('/auth/email/send-link', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ email, ...(next === undefined ? {} : { next }) }).toString(),
    });
    expect(res.status).toBe(200);
    return linkIn(await smtp.waitForMail(email, { since }));
  }

  /** Opens the link as the browser would and returns where it was sent. */
  async function open(link: URL): Promise<{ location: string | null; signedIn: boolean }> {
    const res = await t.request(`${link.pathname}${link.search}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    return { location: res.headers.get('location'), signedIn: /access_token=[^;]+/.test(res.headers.get('set-cookie') ?? '') };
  }

  beforeAll(async () => {
    smtp = await startCaptureServer();
    t = await startTestHost({ plugins: [{ plugin, config: { smtp: smtpConfig(smtp.port) } }] });
    admin = await bootstrapAdmin(t);
  });
  afterAll(async () => {
    await t?.stop();
    await smtp?.close();
  });

  it('the login page form carries next as a hidden field to send-link', async () => {
    const page = await (await t.request('/login?next=%2Fcatalog', { headers: { accept: 'text/html' } })).text();
    const form = /<form method="post" action="\/auth\/email\/send-link">[\s\S]*?<\/form>/.exec(page)?.[0];
    expect(form).toBeDefined();
    expect(form).toContain('<input type="hidden" name="next" value="/catalog">');
  });

  it('next=/catalog ends at /catalog, signed in', async () => {
    const link = await linkFromForm(await someone(), '/catalog');
    expect(link.searchParams.get('next')).toBe('/catalog');
    expect(await open(link)).toEqual({ location: '/catalog', signedIn: true });
  });

  it('a path with a query string survives the mail unchanged', async () => {
    const link = await linkFromForm(await someone(), '/catalog/orders?tab=profile&x=1');
    expect(await open(link)).toEqual({ location: '/catalog/orders?tab=profile&x=1', signedIn: true });
  });

  it.each(['//evil.example', '/\\evil.example', 'https://evil.example/', 'catalog'])('next=%j is not put in the link and ends at /dashboard', async (next) => {
    const link = await linkFromForm(await someone(), next);
    expect(link.searchParams.has('next')).toBe(false);
    expect(await open(link)).toEqual({ location: '/dashboard', signedIn: true });
  });

  it('a link edited to point elsewhere still ends at /dashboard', async () => {
    const link = await linkFromForm(await someone(), '/catalog');
    link.searchParams.set('next', '//evil.example');
    expect(await open(link)).toEqual({ location: '/dashboard', signedIn: true });
  });

  it('without next the link lands on the dashboard, as before', async () => {
    const link = await linkFromForm(await someone());
    expect(link.searchParams.has('next')).toBe(false);
    expect(await open(link)).toEqual({ location: '/dashboard', signedIn: true });
  });

  it('a used link goes back to the login page with its next, so a new link lands there too', async () => {
    const link = await linkFromForm(await someone(), '/catalog');
    await open(link);
    expect(await open(link)).toEqual({ location: '/login?error=invalid_link&next=%2Fcatalog', signedIn: false });
  });

  it('a JSON send-link takes next too', async () => {
    const email = await someone();
    const since = smtp.mails.length;
    const res = await t.request('/auth/email/send-link', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, next: '/access' }),
    });
    expect(res.status).toBe(200);
    expect(await open(linkIn(await smtp.waitForMail(email, { since })))).toEqual({ location: '/access', signedIn: true });
  });
});
