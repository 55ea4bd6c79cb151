// The host's dashboard-box mechanism (ViewRegistry.addDashboardPanel), seen from a plugin:
// roles, the data function failing, and a template that is not the plugin's own.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlugin, tokens } from '@aida/core';
import { startTestHost } from '@aida/host/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { browser, getPage } from './helpers.js';

async function viewsFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'aida-panel-views-'));
  await writeFile(join(dir, 'box.njk'), '<section class="card" data-panel="boxes">Hello {{ panel.name }} ({{ user.email }})</section>\n');
  await writeFile(join(dir, 'admin.njk'), '<section class="card" data-panel="boxes-admin">For admins</section>\n');
  return dir;
}

function boxesPlugin(folder: string, template = 'boxes/box.njk') {
  return definePlugin({
    id: 'boxes',
    kind: 'extension',
    config: z.object({}).default({}),
    deps: { views: tokens.views },
    init({ views }) {
      views.addFolder(folder);
      views.addDashboardPanel({ template, data: (user) => ({ name: `<${user.role}>` }) });
      views.addDashboardPanel({ template: 'boxes/admin.njk', role: 'admin' });
      views.addDashboardPanel({
        template: 'boxes/box.njk',
        data: () => {
          throw new Error('the store is down');
        },
      });
    },
  });
}

describe('dashboard boxes of plugins', () => {
  const stops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const stop of stops) await stop();
  });

  it("renders each box the user's role may see with its data (escaped); a failing one is a notice", async () => {
    const t = await startTestHost({ plugins: [boxesPlugin(await viewsFolder())] });
    stops.push(() => t.stop());
    const viewer = await browser(t, 'viewer');
    const page = await getPage(t, '/dashboard', viewer);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`Hello &lt;viewer&gt; (${viewer.api.user.email})`);
    expect(page.text).not.toContain('For admins');
    expect(page.text).toContain('The boxes box cannot be shown right now.');
    expect(page.text).not.toContain('the store is down');
  });

  it("refuses a box whose template is not the plugin's own", async () => {
    await expect(startTestHost({ plugins: [boxesPlugin(await viewsFolder(), 'dashboard.njk')] })).rejects.toThrow(/must name one of its own templates/);
  });
});
