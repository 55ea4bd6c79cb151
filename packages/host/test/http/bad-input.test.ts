import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost } from '@aida/host/testing';
import { call } from '../identity/helpers.js';
import { dataHost } from '../data/fixtures.js';

let t: TestHost;
let admin: string;
let doc: { paths: Record<string, Record<string, { requestBody?: unknown }>> };

beforeAll(async () => {
  ({ t, admin } = await dataHost());
  doc = (await call(t, 'GET', '/api/openapi.json')).json;
});
afterAll(() => t?.stop());

/** Sends `text` as a JSON body, as a client with a broken serializer would. */
async function sendRaw(method: string, path: string, text: string) {
  const res = await t.request(path, {
    method,
    redirect: 'manual',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: text,
  });
  return {
    status: res.status,
    json: (await res.json().catch(() => undefined)) as { code: string; message: string; detail: { issues: { field: string; message: string }[] } } | undefined,
  };
}

describe('a body that is not JSON', () => {
  it('answers 400 AIDA_INPUT_INVALID naming the problem on every route that takes a body, and never echoes the body', async () => {
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([method, op]) => ['post', 'put', 'patch'].includes(method) || op.requestBody)
        .map(([method]) => ({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, 'x') })),
    );
    // Every route the host serves (host and plugin alike), not a hand-picked few.
    expect(routes.length).toBeGreaterThan(25);
    expect(routes).toEqual(
      expect.arrayContaining([
        { method: 'POST', path: '/api/query' },
        { method: 'POST', path: '/auth/token' },
        { method: 'POST', path: '/api/local-files/sources/x/tables/x' },
      ]),
    );
    const failures: string[] = [];
    for (const r of routes) {
      const res = await sendRaw(r.method, r.path, '{"password": "hunter2", sql: x}');
      const ok =
        res.status === 400 &&
        res.json?.code === 'AIDA_INPUT_INVALID' &&
        /^The request body is not valid JSON: .+/.test(res.json.message) &&
        !res.json.message.includes('hunter2');
      if (!ok) failures.push(`${r.method} ${r.path} → ${res.status} ${JSON.stringify(res.json)}`);
    }
    expect(failures).toEqual([]);
  });

  it('says where the JSON broke, and that a bare string or number is not a body', async () => {
    const cut = await sendRaw('POST', '/api/query', '{"sql": "SELECT 1"');
    expect(cut.json?.message).toMatch(/^The request body is not valid JSON: .*at position 18/);
    expect(cut.json?.detail.issues).toEqual([{ field: '', message: expect.stringContaining('position 18') }]);
    const bare = await sendRaw('POST', '/api/users', '"just a string"');
    expect(bare.status).toBe(400);
    expect(bare.json?.message).toMatch(/object or an array/);
  });
});

describe('validation errors', () => {
  it('have one code, one status and one detail shape everywhere: 400 AIDA_INPUT_INVALID with {issues: [{field, message}]}', async () => {
    const me = (await call(t, 'GET', '/auth/me', { token: admin })).json.id as string;
    const cases: [string, string, unknown, string][] = [
      ['POST', '/api/users', { email: 'r@example.com', role: 'superuser' }, 'role'],
      ['POST', '/api/admin/register-table', { name: 'x', sync_strategy: 'sometimes' }, 'sync_strategy'],
      ['PUT', '/api/admin/registry/orders', { is_public: 'yes' }, 'is_public'],
      ['POST', '/api/query', { sql: 1 }, 'sql'],
      ['POST', '/api/admin/permissions', { user_id: me, dataset: 'x; drop' }, 'dataset'],
      ['POST', '/auth/tokens', { name: '' }, 'name'],
      ['POST', '/api/sync/trigger', { tables: 'orders' }, ''],
      ['GET', '/api/admin/audit?limit=0', undefined, 'limit'],
    ];
    for (const [method, path, body, field] of cases) {
      const r = await call(t, method, path, { token: admin, body });
      expect({ route: `${method} ${path}`, status: r.status, code: r.json.code }).toEqual({
        route: `${method} ${path}`,
        status: 400,
        code: 'AIDA_INPUT_INVALID',
      });
      expect(r.json.detail.issues, `${method} ${path}`).toEqual(expect.arrayContaining([{ field, message: expect.any(String) }]));
    }
    // A more specific code keeps the same detail shape.
    const tooMany = await call(t, 'POST', '/api/query', { token: admin, body: { sql: 'SELECT 1', limit: 10_000_000 } });
    expect(tooMany.json).toMatchObject({ code: 'AIDA_QUERY_LIMIT_TOO_HIGH', detail: { issues: [{ field: 'limit', message: expect.any(String) }] } });
  });

  it('an empty table name on register-table is the one 422 (as the REST contract has it), with the same code and shape', async () => {
    const r = await call(t, 'POST', '/api/admin/register-table', { token: admin, body: { name: '   ' } });
    expect(r.status).toBe(422);
    expect(r.json).toEqual({
      code: 'AIDA_INPUT_INVALID',
      message: 'name must not be empty',
      detail: { issues: [{ field: 'name', message: 'must not be empty' }] },
    });
  });
});
