import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestHost, type TestHost } from '@aida/host/testing';
import Koa from 'koa';
import mount from 'koa-mount';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { Browser } from './browser.js';
import { PUBLIC_ORIGIN, startFakeGoogle, type FakeGoogle } from './fake-google.js';

/** An embedder mounts the host under /data in its own Koa app (see STYLE.md). */
describe('Google sign-in with the host mounted under /data', () => {
  let fake: FakeGoogle;
  let t: TestHost;
  let server: Server;
  let outer: string;

  beforeAll(async () => {
    fake = await startFakeGoogle();
    t = await startTestHost({ plugins: [{ plugin, config: fake.config({ base_url: `${PUBLIC_ORIGIN}/data` }) }] });
    const app = new Koa();
    app.use(mount('/data', t.host.koa));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    outer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await t?.stop();
    await fake?.close();
  });

  it('signs in through the mount path and redirects within it', async () => {
    fake.identity = { email: 'embedded@example.com' };
    const browser = new Browser().resolve(PUBLIC_ORIGIN, outer);
    const login = await browser.get(`${PUBLIC_ORIGIN}/data/auth/google/login`);
    expect(login.status).toBe(302);
    const to = new URL(login.headers.get('location')!);
    expect(to.searchParams.get('redirect_uri')).toBe(`${PUBLIC_ORIGIN}/data/auth/google/callback`);
    expect(login.headers.getSetCookie().join()).toMatch(/aida_google_oauth=[^;]+;.*path=\/data\/auth\/google/i);

    const back = await browser.get(to.href);
    const callback = await browser.get(back.headers.get('location')!);
    expect(callback.status).toBe(302);
    expect(callback.headers.get('location')).toBe('/data/dashboard');
    const token = browser.cookie('access_token');
    expect(token).toBeTruthy();
    const me = await fetch(`${outer}/data/auth/me`, { headers: { cookie: `access_token=${token}` } });
    expect(await me.json()).toMatchObject({ email: 'embedded@example.com', role: 'analyst' });
  });

  it('next (a path that already holds the mount, as the login page gives it) is followed; an unsafe one lands on the mounted dashboard', async () => {
    fake.identity = { email: 'embedded@example.com' };
    for (const [next, lands] of [
      ['/data/catalog', '/data/catalog'],
      ['//evil.example', '/data/dashboard'],
    ]) {
      const browser = new Browser().resolve(PUBLIC_ORIGIN, outer);
      const login = await browser.get(`${PUBLIC_ORIGIN}/data/auth/google/login?next=${encodeURIComponent(next!)}`);
      const back = await browser.get(login.headers.get('location')!);
      const callback = await browser.get(back.headers.get('location')!);
      expect(callback.headers.get('location')).toBe(lands);
    }
  });

  it('failures redirect to the mounted login page', async () => {
    const browser = new Browser().resolve(PUBLIC_ORIGIN, outer);
    const login = await browser.get(`${PUBLIC_ORIGIN}/data/auth/google/login`);
    const back = new URL((await browser.get(login.headers.get('location')!)).headers.get('location')!);
    back.searchParams.set('state', 'forged');
    const callback = await browser.get(back.href);
    expect(callback.headers.get('location')).toBe('/data/login?error=state_mismatch');
    expect(browser.cookie('access_token')).toBeUndefined();
  });
});
