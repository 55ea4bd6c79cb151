import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { body, definePlugin, tokens } from '@aida/core';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { bootstrap, call, userWithSession } from '../identity/helpers.js';
import { csrfOf, getPage } from './forms.js';

const viewsDir = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures', 'plugin-pages');
const noteForm = z.object({ text: z.string().trim().min(1).max(200) });

/** A plugin with a page of its own: a view folder, a nav entry, a GET page and a form post. */
const notesPlugin = definePlugin({
  id: 'notes',
  kind: 'extension',
  config: z.object({}),
  deps: { routes: tokens.routes, views: tokens.views },
  init({ routes, views }) {
    const notes: string[] = [];
    views.addFolder(viewsDir);
    views.addNavigation({ label: 'Notes', href: '/notes', role: 'analyst' });
    routes.add({
      method: 'GET',
      path: '/notes',
      access: { role: 'analyst' },
      output: { media: ['text/html'] },
      async handler(ctx) {
        await ctx.render('notes/index.njk', {
          title: 'Notes',
          notes,
          notice: ctx.query.notice === 'added' ? 'Note added.' : undefined,
          author: ctx.state.user?.email,
        });
      },
    });
    routes.add({
      method: 'POST',
      path: '/notes/add',
      access: { role: 'analyst' },
      input: { body: noteForm, bodyTypes: ['form'] },
      handler(ctx) {
        notes.push(body(ctx, noteForm).text);
        ctx.status = 303;
        ctx.redirect('/notes?notice=added');
      },
    });
  },
});

let t: TestHost;
let analyst: string;
let viewer: string;
const html = { accept: 'text/html' };

beforeAll(async () => {
  t = await startTestHost({ plugins: [notesPlugin] });
  const admin = await bootstrap(t);
  analyst = (await userWithSession(t, admin, 'ana@example.com', 'analyst')).token;
  viewer = (await userWithSession(t, admin, 'vic@example.com', 'viewer')).token;
});
afterAll(() => t?.stop());

describe('pages a plugin adds', () => {
  it('render in the portal layout with the nav entry for the roles it names', async () => {
    const page = await call(t, 'GET', '/notes', { token: analyst, headers: html });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('<h1>Team notes</h1>');
    // The layout: the host's nav with the plugin's entry, marked current, and the page's CSP.
    expect(page.text).toMatch(/<a href="\/notes" aria-current="page">Notes<\/a>/);
    expect(page.text).toContain('href="/catalog"');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    // A viewer sees neither the entry nor the page.
    const dash = await call(t, 'GET', '/dashboard', { token: viewer, headers: html });
    expect(dash.text).not.toContain('href="/notes"');
    expect((await call(t, 'GET', '/notes', { token: viewer, headers: html })).status).toBe(403);
  });

  it("take form posts with the layout's CSRF token, and refuse them without", async () => {
    const page = await getPage(t, '/notes', undefined);
    expect(page.status).toBe(302); // not signed in: to the sign-in page
    const withToken = await call(t, 'GET', '/notes', { token: analyst, headers: html });
    const csrf = csrfOf(withToken.text);
    const refused = await t.request('/notes/add', {
      method: 'POST',
      redirect: 'manual',
      headers: { authorization: `Bearer ${analyst}`, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ text: 'no token' }).toString(),
    });
    expect(refused.status).toBe(403);
    const sent = await t.request('/notes/add', {
      method: 'POST',
      redirect: 'manual',
      headers: { authorization: `Bearer ${analyst}`, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, text: 'Revenue is net of refunds' }).toString(),
    });
    expect(sent.status).toBe(303);
    expect(sent.headers.get('location')).toBe('/notes?notice=added');
    const after = await call(t, 'GET', '/notes?notice=added', { token: analyst, headers: html });
    expect(after.text).toContain('<li data-note>Revenue is net of refunds</li>');
    expect(after.text).not.toContain('no token');
    expect(after.text).toContain('Note added.');
    // An empty note is bad input: a page that says so for a browser, nothing stored.
    const empty = await t.request('/notes/add', {
      method: 'POST',
      redirect: 'manual',
      headers: { authorization: `Bearer ${analyst}`, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, text: ' ' }).toString(),
    });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toMatch(/<main id="content">[\s\S]*text/);
  });

  it("may not put pages at the host's own paths, nor outside its own", async () => {
    const pagePlugin = (id: string, path: string) =>
      definePlugin({
        id,
        kind: 'extension',
        config: z.object({}),
        deps: { routes: tokens.routes },
        init({ routes }) {
          routes.add({ method: 'GET', path, access: 'public', handler: () => undefined });
        },
      });
    await expect(startTestHost({ plugins: [pagePlugin('admin', '/admin/takeover')] })).rejects.toThrow(/plugin 'admin' cannot add pages at \/admin/);
    await expect(startTestHost({ plugins: [pagePlugin('pages', '/catalog/mine')] })).rejects.toThrow(/plugin 'pages' may only add routes under .*\/pages\//);
  });
});
