import { startTestHost, type TestHost } from '@aida/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { loginError, signInWithGoogle } from './browser.js';
import { startFakeGoogle, type FakeGoogle } from './fake-google.js';

/** `next=` from the login page's link, carried through the OAuth round trip with the state. */
describe('Google sign-in lands where the login page asked', () => {
  let fake: FakeGoogle;
  let t: TestHost;

  beforeAll(async () => {
    fake = await startFakeGoogle();
    t = await startTestHost({ plugins: [{ plugin, config: fake.config({ allowed_domains: ['example.com'] }) }] });
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  it('the login page links Google with the page the browser wanted', async () => {
    const page = await t.request('/login?next=%2Fcatalog', { headers: { accept: 'text/html' } });
    expect(await page.text()).toContain('href="/auth/google/login?next=%2Fcatalog"');
  });

  it('next=/catalog ends at /catalog, signed in', async () => {
    fake.identity = { email: 'ada@example.com' };
    const flow = await signInWithGoogle(t, { next: '/catalog' });
    expect(flow.callback!.status).toBe(302);
    expect(flow.callback!.headers.get('location')).toBe('/catalog');
    expect(flow.accessToken).toBeTruthy();
  });

  it('a path with a query string survives the round trip unchanged', async () => {
    fake.identity = { email: 'ada@example.com' };
    const flow = await signInWithGoogle(t, { next: '/catalog/orders?tab=profile' });
    expect(flow.callback!.headers.get('location')).toBe('/catalog/orders?tab=profile');
  });

  it('next is sealed in the pending sign-in cookie, not sent to the provider', async () => {
    fake.identity = { email: 'ada@example.com' };
    const flow = await signInWithGoogle(t, { next: '/catalog/secret-place' });
    expect(flow.login.headers.get('location')).not.toContain('secret-place');
    expect(fake.lastAuthorize?.toString()).not.toContain('secret-place');
    expect(flow.callback!.headers.get('location')).toBe('/catalog/secret-place');
  });

  it.each(['//evil.example', '/\\evil.example', 'https://evil.example/', 'catalog', '/\tevil'])('next=%j ends at /dashboard', async (next) => {
    fake.identity = { email: 'ada@example.com' };
    const flow = await signInWithGoogle(t, { next });
    expect(flow.callback!.status).toBe(302);
    expect(flow.callback!.headers.get('location')).toBe('/dashboard');
    expect(flow.accessToken).toBeTruthy();
  });

  it('a refused sign-in goes back to the login page with the same next, so a retry lands there too', async () => {
    fake.identity = { email: 'someone@other.example.org' };
    const flow = await signInWithGoogle(t, { next: '/catalog' });
    expect(loginError(flow.callback)).toBe('domain_not_allowed');
    expect(flow.callback!.headers.get('location')).toBe('/login?error=domain_not_allowed&next=%2Fcatalog');
    expect(flow.accessToken).toBeUndefined();
  });

  it('an unsafe next is not carried back to the login page either', async () => {
    fake.identity = { email: 'someone@other.example.org' };
    const flow = await signInWithGoogle(t, { next: '//evil.example' });
    expect(flow.callback!.headers.get('location')).toBe('/login?error=domain_not_allowed');
  });
});
