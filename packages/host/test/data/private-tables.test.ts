import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost } from '@aida/host/testing';
import { call, userWithSession } from '../identity/helpers.js';
import { dataHost } from './fixtures.js';

let t: TestHost;
let admin: string;
let viewer: { id: string; token: string };
let analyst: { id: string; token: string };

beforeAll(async () => {
  ({ t, admin } = await dataHost());
  viewer = await userWithSession(t, admin, 'viewer@example.com', 'viewer');
  analyst = await userWithSession(t, admin, 'analyst@example.com', 'analyst');
  expect((await call(t, 'PUT', '/api/admin/registry/salaries', { token: admin, body: { is_public: false } })).status).toBe(200);
});
afterAll(() => t?.stop());

describe('a private table', () => {
  it('is never shown to a user who cannot read it: not on the dashboard, the catalog or the manifest', async () => {
    for (const who of [viewer, analyst]) {
      const home = await call(t, 'GET', '/dashboard', { token: who.token, headers: { accept: 'text/html' } });
      expect(home.status).toBe(200);
      expect(home.text).toContain('orders');
      expect(home.text).not.toContain('salaries');
      // The count beside the list is the same filter: shop's two tables, not hr's private one.
      expect(home.text).toMatch(/data-table-count>2</);
      const catalog = await call(t, 'GET', '/api/catalog/tables', { token: who.token });
      expect(JSON.stringify(catalog.json)).not.toContain('salaries');
      const manifest = await call(t, 'GET', '/api/sync/manifest', { token: who.token });
      expect(JSON.stringify(manifest.json)).not.toContain('salaries');
    }
    // The admin sees it, so the filter above is about access, not about the page.
    const home = await call(t, 'GET', '/dashboard', { token: admin, headers: { accept: 'text/html' } });
    expect(home.text).toContain('salaries');
  });

  it('answers 403 exactly as a table that does not exist, on every per-table route', async () => {
    const routes = (table: string) => [
      ['GET', `/api/data/${table}/download`],
      ['GET', `/api/catalog/profile/${table}`],
      ['GET', `/api/catalog/profile/${table}?compute=false`],
      ['POST', `/api/catalog/profile/${table}/refresh`],
    ];
    for (const who of [viewer, analyst]) {
      for (const [method, path] of routes('salaries')) {
        const hidden = await call(t, method!, path!, { token: who.token });
        const missing = await call(t, method!, path!.replace('salaries', 'nope'), { token: who.token });
        if (method === 'POST' && who === viewer) {
          // Refresh needs the analyst role: refused before any table is looked at.
          expect([hidden.status, missing.status]).toEqual([403, 403]);
          continue;
        }
        expect(hidden.status, `${method} ${path}`).toBe(403);
        expect(missing.status, `${method} ${path} (unknown table)`).toBe(403);
        expect(missing.json.code).toBe(hidden.json.code);
        expect(missing.json.message.replace('nope', 'salaries')).toBe(hidden.json.message);
      }
    }
  });

  it('a query naming it or an unknown table is 403 alike for an analyst; an admin is told the table does not exist', async () => {
    const hidden = await call(t, 'POST', '/api/query', { token: analyst.token, body: { sql: 'SELECT * FROM salaries' } });
    const missing = await call(t, 'POST', '/api/query', { token: analyst.token, body: { sql: 'SELECT * FROM nope' } });
    expect([hidden.status, missing.status]).toEqual([403, 403]);
    expect(missing.json.code).toBe(hidden.json.code);
    const asAdmin = await call(t, 'POST', '/api/query', { token: admin, body: { sql: 'SELECT * FROM nope' } });
    expect(asAdmin.status).toBe(400);
    expect(asAdmin.json.code).toBe('AIDA_QUERY_UNKNOWN_TABLE');
  });

  it('becomes visible everywhere once the user is granted read', async () => {
    expect((await call(t, 'POST', '/api/admin/permissions', { token: admin, body: { user_id: viewer.id, dataset: 'salaries', access: 'read' } })).status).toBeLessThan(300);
    const home = await call(t, 'GET', '/dashboard', { token: viewer.token, headers: { accept: 'text/html' } });
    expect(home.text).toContain('salaries');
    expect((await call(t, 'GET', '/api/data/salaries/download', { token: viewer.token })).status).toBe(200);
  });
});
