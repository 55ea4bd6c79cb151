import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
// @ts-expect-error the example is plain JavaScript, as an embedding app may be
import { buildApp } from '../src/app.js';

describe('embedding the host in an existing Koa app', () => {
  let root: string;
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'aida-embed-'));
    await mkdir(join(root, 'files'));
    await writeFile(join(root, 'files', 'greetings.csv'), 'id,text\n1,hello\n2,world\n');
    const { app, host } = await buildApp({ dataDir: join(root, 'data'), folder: join(root, 'files'), logger: pino({ level: 'silent' }) });
    const sync = await host.syncSource('files');
    expect(sync.error).toBeUndefined();
    const server = app.listen(0, '127.0.0.1');
    host.attach(server, { mountPath: '/data' });
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = async () => {
      await new Promise((r) => server.close(r));
      await host.stop();
    };
  });
  afterAll(async () => {
    await close?.();
    await rm(root, { recursive: true, force: true });
  });

  it('the app keeps its own routes', async () => {
    const res = await fetch(`${url}/`);
    expect(await res.json()).toEqual({ app: 'my existing service', aida: '/data' });
  });

  it('serves AIDA under the prefix: health lists the plugin, the home page lists the table', async () => {
    const health = await fetch(`${url}/data/api/health`);
    expect(health.status).toBe(200);
    const body = await health.json();
    expect(body.status).toBe('healthy');
    expect(body.plugins).toEqual([{ id: 'local-files', kind: 'connector', status: 'running' }]);
    const boot = await fetch(`${url}/data/auth/bootstrap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'owner@example.com', name: 'Owner', password: 'owner-password' }),
    });
    expect(boot.status).toBe(201);
    const { access_token } = (await boot.json()) as { access_token: string };
    const home = await (await fetch(`${url}/data/`, { headers: { authorization: `Bearer ${access_token}` } })).text();
    expect(home).toContain('greetings');
  });

  it('the portal keeps the prefix: every link, form and redirect of its pages starts with /data', async () => {
    const anonymous = await fetch(`${url}/data/catalog`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get('location')).toBe('/data/login?next=%2Fdata%2Fcatalog');
    const signIn = await fetch(`${url}/data/auth/password/login/web`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'owner@example.com', password: 'owner-password', next: '/data/catalog' }).toString(),
    });
    expect(signIn.headers.get('location')).toBe('/data/catalog');
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    for (const path of [
      '/data/dashboard',
      '/data/catalog',
      '/data/catalog/greetings',
      '/data/access',
      '/data/account/tokens',
      '/data/admin/tables',
      '/data/admin/jobs',
    ]) {
      const page = await fetch(`${url}${path}`, { headers: { accept: 'text/html', cookie } });
      expect(page.status, path).toBe(200);
      const html = await page.text();
      const targets = [...html.matchAll(/(?:href|action|src)="([^"]*)"/g)].map((m) => m[1]!).filter((t) => !t.startsWith('#'));
      expect(targets.length, path).toBeGreaterThan(3);
      expect(
        targets.filter((t) => !t.startsWith('/data/')),
        path,
      ).toEqual([]);
    }
    const stylesheet = /<link rel="stylesheet" href="([^"]+)"/.exec(
      await (await fetch(`${url}/data/dashboard`, { headers: { accept: 'text/html', cookie } })).text(),
    )![1]!;
    expect((await fetch(`${url}${stylesheet}`)).status).toBe(200);
  });

  it('unknown paths under the prefix get AIDA JSON errors, outside it the app decides', async () => {
    const res = await fetch(`${url}/data/api/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'AIDA_NOT_FOUND' });
    expect((await fetch(`${url}/elsewhere`)).status).toBe(404);
  });

  it('serves the WebSocket gateway under the prefix on the app’s own server', async () => {
    const login = await fetch(`${url}/data/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'owner@example.com', password: 'owner-password' }),
    });
    const { access_token } = (await login.json()) as { access_token: string };
    const ws = new WebSocket(`${url.replace('http', 'ws')}/data/ws`);
    const first = await new Promise<Record<string, unknown>>((resolve, reject) => {
      ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', token: access_token })));
      ws.once('message', (m) => resolve(JSON.parse(String(m)) as Record<string, unknown>));
      ws.once('error', reject);
    });
    ws.close();
    expect(first.type).toBe('ready');
    // Only under the prefix: the app's other paths are not upgraded.
    const elsewhere = new WebSocket(`${url.replace('http', 'ws')}/ws`);
    const refused = await new Promise<string>((resolve) =>
      elsewhere.once('unexpected-response', (_req, res) => resolve(String(res.statusCode))).once('error', (e) => resolve(e.message)),
    );
    expect(refused).toMatch(/404/);
  });
});
