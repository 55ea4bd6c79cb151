import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createToken, definePlugin, InputError, NotFoundError, tokens, type Service } from '@aida/core';
import { startTestHost, type TestHost } from '@aida/host/testing';

const viewsDir = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures', 'views');
const greeter = createToken<{ greet(name: string): string }>('greeter.service');
const started: string[] = [];

const greeterPlugin = definePlugin({
  id: 'greeter',
  kind: 'extension',
  config: z.object({ greeting: z.string().default('Hello') }),
  provides: [greeter],
  init(_deps, { config, provide }) {
    provide(greeter, { greet: (name) => `${config.greeting}, ${name}` });
  },
});

const service: Service = {
  id: 'ticker',
  async start() {
    started.push('ticker');
  },
  async stop() {
    started.push('ticker stopped');
  },
  health: () => ({ status: 'degraded', detail: 'running on one leg' }),
};

const webPlugin = definePlugin({
  id: 'web',
  kind: 'service',
  config: z.object({}),
  deps: { greeter, routes: tokens.routes, views: tokens.views, services: tokens.services, logger: tokens.logger },
  init({ greeter: g, routes, views, services }) {
    views.addFolder(viewsDir);
    views.addNavigation({ label: 'Greeter', href: '/api/web/page' });
    services.register(service);
    routes.add({
      method: 'GET',
      path: '/api/web/greet',
      access: 'public',
      handler: (ctx) => {
        ctx.body = { text: g.greet(String(ctx.query.name ?? 'world')) };
      },
    });
    routes.add({ method: 'GET', path: '/api/web/page', access: 'public', handler: (ctx) => ctx.render('web/hello.njk', { name: 'Ada' }) });
    routes.add({
      method: 'GET',
      path: '/api/web/secret',
      access: { role: 'analyst' },
      handler: (ctx) => {
        ctx.body = 'secret';
      },
    });
    routes.add({
      method: 'GET',
      path: '/api/web/missing',
      access: 'public',
      handler: () => {
        throw new NotFoundError('No such widget', { detail: { widget: 7 } });
      },
    });
    routes.add({
      method: 'POST',
      path: '/api/web/bad',
      access: 'public',
      handler: () => {
        throw new InputError('Amount must be positive');
      },
    });
    routes.add({
      method: 'GET',
      path: '/api/web/crash',
      access: 'public',
      handler: () => {
        throw new Error('database password is hunter2');
      },
    });
  },
});

let t: TestHost;
beforeAll(async () => {
  // Listed in the "wrong" order: the host orders them by what they provide and need.
  t = await startTestHost({ plugins: [webPlugin, { plugin: greeterPlugin, config: { greeting: 'Ahoj' } }] });
});
afterAll(async () => {
  await t?.stop();
  expect(started).toEqual(['ticker', 'ticker stopped']);
});

describe('plugins wired into a real host', () => {
  it('a plugin uses a token another plugin provides, configured from its own config slice', async () => {
    const res = await t.request('/api/web/greet?name=Jan');
    expect(await res.json()).toEqual({ text: 'Ahoj, Jan' });
  });

  it('renders a plugin view in the host layout with the plugin navigation', async () => {
    const html = await (await t.request('/api/web/page')).text();
    expect(html).toContain('<p id="greeting">Hello Ada from a plugin view</p>');
    expect(html).toContain('href="/api/web/page"');
  });

  it('routes are authenticated by default: no session → 401 JSON', async () => {
    const res = await t.request('/api/web/secret');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'AIDA_UNAUTHENTICATED' });
  });

  it('typed errors map to status, code, message and detail in one place; unknown errors hide internals', async () => {
    const nf = await t.request('/api/web/missing');
    expect(nf.status).toBe(404);
    expect(await nf.json()).toEqual({ code: 'AIDA_NOT_FOUND', message: 'No such widget', detail: { widget: 7 } });
    const bad = await t.request('/api/web/bad', { method: 'POST' });
    expect(bad.status).toBe(400);
    const crash = await t.request('/api/web/crash');
    expect(crash.status).toBe(500);
    const body = await crash.json();
    expect(body.code).toBe('AIDA_INTERNAL');
    expect(JSON.stringify(body)).not.toContain('hunter2');
    expect(body.message).toContain(crash.headers.get('x-request-id'));
  });

  it('health lists services and plugins, and the worst service status wins', async () => {
    const res = await t.request('/api/health');
    expect(res.status).toBe(200);
    const h = await res.json();
    expect(h).toMatchObject({ status: 'degraded', version: expect.any(String), schema_version: expect.any(Number) });
    expect(h.services['web:ticker']).toEqual({ status: 'degraded', detail: 'running on one leg' });
    expect(h.services.system_db.status).toBe('healthy');
    expect(h.plugins).toEqual([
      { id: 'greeter', kind: 'extension', status: 'running' },
      { id: 'web', kind: 'service', status: 'running' },
    ]);
    expect(Date.parse(h.timestamp)).not.toBeNaN();
  });

  it('every response carries a request id, and a sane incoming one is kept', async () => {
    const res = await t.request('/api/health', { headers: { 'X-Request-Id': 'trace-12345678' } });
    expect(res.headers.get('x-request-id')).toBe('trace-12345678');
    const other = await t.request('/api/health', { headers: { 'X-Request-Id': 'bad id with spaces' } });
    expect(other.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a wrong method gets 405 and an unknown path 404, both as JSON errors', async () => {
    expect((await t.request('/api/health', { method: 'DELETE' })).status).toBe(405);
    const nf = await t.request('/api/nothing-here');
    expect(nf.status).toBe(404);
    expect((await nf.json()).code).toBe('AIDA_NOT_FOUND');
  });
});

describe('plugin boundaries', () => {
  it('a plugin may not add routes outside its own prefixes, and boot says which', async () => {
    const rogue = definePlugin({
      id: 'rogue',
      kind: 'extension',
      config: z.object({}),
      deps: { routes: tokens.routes },
      init({ routes }) {
        routes.add({ method: 'GET', path: '/api/admin/users', access: 'public', handler: () => undefined });
      },
    });
    await expect(startTestHost({ plugins: [rogue] })).rejects.toThrow(/plugin 'rogue' may only add routes under \/api\/rogue\//);
  });

  it('a plugin providing a token it did not declare is refused', async () => {
    const sneaky = definePlugin({
      id: 'sneaky',
      kind: 'extension',
      config: z.object({}),
      init(_d, { provide }) {
        provide(greeter, { greet: () => '' });
      },
    });
    await expect(startTestHost({ plugins: [sneaky] })).rejects.toThrow(/without declaring it in 'provides'/);
  });
});
