import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost } from '@aida/host/testing';
import { call, userWithSession } from '../identity/helpers.js';
import { dataHost } from '../data/fixtures.js';

let t: TestHost;
let admin: string;
let askerToken: string;

/** Each paged list and the field that holds its items (the names API.md and the `da` CLI use). */
const LISTS: [path: string, field: string][] = [
  ['/api/users', 'users'],
  ['/api/admin/registry', 'tables'],
  ['/api/admin/sync-history', 'items'],
  ['/api/access-requests/my', 'requests'],
  ['/api/access-requests/pending', 'requests'],
  ['/auth/tokens', 'tokens'],
  ['/auth/admin/tokens', 'tokens'],
  // Filtered to rows that stop changing: every call adds an audit row.
  [`/api/admin/audit?action=${encodeURIComponent('POST /auth/tokens')}`, 'items'],
];

beforeAll(async () => {
  ({ t, admin } = await dataHost());
  await userWithSession(t, admin, 'second@example.com', 'analyst');
  await userWithSession(t, admin, 'third@example.com', 'viewer');
  for (const name of ['one', 'two']) expect((await call(t, 'POST', '/auth/tokens', { token: admin, body: { name } })).status).toBe(201);
  for (const table of ['hr_a', 'hr_b']) {
    expect((await call(t, 'POST', '/api/admin/register-table', { token: admin, body: { name: table, is_public: false } })).status).toBe(201);
  }
  // An admin reads every table, so an analyst asks: the admin's "pending" and the analyst's "my" list.
  const asker = await userWithSession(t, admin, 'asker@example.com', 'analyst');
  for (const table of ['hr_a', 'hr_b'])
    expect((await call(t, 'POST', '/api/access-requests', { token: asker.token, body: { table_id: table } })).status).toBe(201);
  askerToken = asker.token;
});
afterAll(() => t?.stop());

const get = (path: string, query: string) =>
  call(t, 'GET', `${path}${path.includes('?') ? '&' : '?'}${query}`, { token: path.startsWith('/api/access-requests/my') ? askerToken : admin });

describe('lists page the same way', () => {
  it('limit, offset and total on every list, with the items under the field clients already read', async () => {
    for (const [path, field] of LISTS) {
      const first = await get(path, 'limit=1');
      expect(first.status, path).toBe(200);
      expect(Object.keys(first.json).sort(), path).toEqual([field, 'count', 'limit', 'offset', 'total'].sort());
      expect(first.json[field], path).toHaveLength(1);
      expect(first.json, path).toMatchObject({ count: 1, limit: 1, offset: 0 });
      expect(first.json.total, path).toBeGreaterThanOrEqual(2);
      const second = await get(path, 'limit=1&offset=1');
      expect(second.json[field], path).toHaveLength(1);
      expect(second.json[field][0], path).not.toEqual(first.json[field][0]);
      const all = await get(path, '');
      expect(all.json[field].length, path).toBe(all.json.total);
      expect(all.json.offset, path).toBe(0);
      const past = await get(path, `offset=${all.json.total}`);
      expect(past.json, path).toMatchObject({ [field]: [], total: all.json.total });
    }
  });

  it('bad paging values are a 400 naming the parameter', async () => {
    for (const [path] of LISTS) {
      for (const [q, field] of [
        ['limit=0', 'limit'],
        ['limit=abc', 'limit'],
        ['limit=1.5', 'limit'],
        ['limit=1000000', 'limit'],
        ['offset=-1', 'offset'],
        ['offset=x', 'offset'],
      ]) {
        const r = await get(path, q);
        expect({ path, q, status: r.status, code: r.json?.code }).toEqual({ path, q, status: 400, code: 'AIDA_INPUT_INVALID' });
        expect(r.json.detail.issues.map((i: { field: string }) => i.field)).toContain(field);
      }
    }
  });

  it('the OpenAPI document shows the same limit and offset parameters on every list', async () => {
    const doc = (await call(t, 'GET', '/api/openapi.json')).json;
    for (const [path, field] of LISTS) {
      const op = doc.paths[path.replace(/\?.*/, '')].get;
      const params = Object.fromEntries(op.parameters.map((p: { name: string; schema: unknown }) => [p.name, p.schema]));
      expect(params.limit, path).toMatchObject({ type: 'integer', minimum: 1 });
      expect(params.offset, path).toMatchObject({ type: 'integer', minimum: 0 });
      expect(op.responses['200'].content['application/json'].schema, path).toMatchObject({
        required: expect.arrayContaining([field, 'count', 'total', 'limit', 'offset']),
      });
    }
  });
});
