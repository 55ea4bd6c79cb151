import { createConfig, lintFromString } from '@redocly/openapi-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { TestHost } from '@aida/host/testing';
import { dataHost } from '../data/fixtures.js';
import { call } from '../identity/helpers.js';

interface Operation {
  summary?: string;
  requestBody?: { content: Record<string, { schema?: Record<string, unknown> }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: Record<string, unknown> }> }>;
}

let t: TestHost;
let admin: string;
let text: string;
let doc: { servers?: { url: string }[]; paths: Record<string, Record<string, Operation>> };
let ops: { method: string; path: string; op: Operation }[];

beforeAll(async () => {
  // Scripts on: their routes answer 404 (how to turn them on) when off, and every route is checked here.
  ({ t, admin } = await dataHost({ scripts: { enabled: true } }));
  text = await (await t.request('/api/openapi.json')).text();
  doc = JSON.parse(text);
  ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, op })));
});
afterAll(() => t?.stop());

/** Routes that take no body: they act on the path alone. */
const NO_BODY = new Set([
  'POST /auth/logout',
  'POST /api/access-requests/{id}/approve',
  'POST /api/access-requests/{id}/deny',
  'POST /api/users/{id}/reset-password',
  'POST /api/users/{id}/deactivate',
  'POST /api/users/{id}/activate',
  'POST /api/catalog/profile/{name}/refresh',
  'POST /api/admin/jobs/{name}/run',
]);

describe('the OpenAPI document of a booted host', () => {
  it('passes the Redocly linter (recommended rules) without errors', async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: text, absoluteRef: 'openapi.json', config });
    const line = (p: (typeof problems)[number]) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? ''}`;
    const warnings = problems.filter((p) => p.severity !== 'error');
    if (warnings.length) console.log(`redocly lint: ${warnings.length} warning(s)\n${warnings.map(line).join('\n')}`);
    expect(problems.filter((p) => p.severity === 'error').map(line)).toEqual([]);
  });

  it('names a server, and every operation says what it does rather than repeating its path', () => {
    expect(doc.servers).toEqual([{ url: '/', description: expect.any(String) }]);
    const bad = ops.filter(({ method, path, op }) => !op.summary || op.summary === `${method} ${path}` || op.summary.startsWith('/') || op.summary.length < 8);
    expect(bad.map((o) => `${o.method} ${o.path}: ${o.op.summary}`)).toEqual([]);
  });

  it('every operation documents its success answer with a schema or a media type', () => {
    const missing: string[] = [];
    for (const { method, path, op } of ops) {
      const success = Object.entries(op.responses).filter(([s]) => /^[23]\d\d$/.test(s));
      if (!success.length) missing.push(`${method} ${path}: no success response`);
      for (const [status, r] of success) {
        if (status === '204' || status.startsWith('3')) {
          if (r.content) missing.push(`${method} ${path}: ${status} has content`);
          continue;
        }
        const media = Object.entries(r.content ?? {});
        if (!media.length) missing.push(`${method} ${path}: ${status} has no content`);
        for (const [type, m] of media) {
          if (type === 'application/json' && !(m.schema && (m.schema.type || m.schema.anyOf || m.schema.oneOf || m.schema.$ref)))
            missing.push(`${method} ${path}: ${status} JSON without a schema`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('documents 201 for what creates, 204 for deletes, and a request body on every route that reads one', () => {
    const statuses = (m: string, p: string) => Object.keys(doc.paths[p][m].responses).filter((s) => /^2/.test(s));
    for (const [m, p] of [
      ['post', '/auth/tokens'],
      ['post', '/auth/bootstrap'],
      ['post', '/api/admin/register-table'],
      ['post', '/api/access-requests'],
      ['post', '/api/users'],
      ['post', '/api/admin/permissions'],
      ['post', '/api/upload/sessions'],
      ['post', '/api/upload/artifacts'],
      ['post', '/api/upload/local-md'],
      ['post', '/api/local-files/sources/{source}/tables/{table}'],
    ])
      expect(statuses(m, p), `${m} ${p}`).toEqual(['201']);
    for (const { method, path } of ops.filter((o) => o.method === 'DELETE')) expect(statuses(method.toLowerCase(), path), `${method} ${path}`).toEqual(['204']);
    const withoutBody = ops.filter(({ method, path, op }) => ['POST', 'PUT', 'PATCH'].includes(method) && !op.requestBody && !NO_BODY.has(`${method} ${path}`));
    expect(withoutBody.map((o) => `${o.method} ${o.path}`)).toEqual([]);
    expect(Object.keys(doc.paths['/api/query'].post.requestBody!.content)).toEqual(['application/json']);
    expect(Object.keys(doc.paths['/api/upload/sessions'].post.requestBody!.content)).toEqual(['multipart/form-data', 'application/octet-stream']);
  });

  it('every error answer (400, 401, 403, 404, 409, 413, 422, 429) refers to the one error schema', () => {
    const seen = new Set<string>();
    const wrong: string[] = [];
    for (const { method, path, op } of ops) {
      for (const [status, r] of Object.entries(op.responses)) {
        if (!/^[45]/.test(status)) continue;
        seen.add(status);
        if (r.content?.['application/json']?.schema?.$ref !== '#/components/schemas/Error') wrong.push(`${method} ${path} ${status}`);
      }
    }
    expect(wrong).toEqual([]);
    expect([...seen].sort()).toEqual(expect.arrayContaining(['400', '401', '403', '404', '409', '413', '422', '429']));
    expect(doc.paths['/api/access-requests'].post.responses).toHaveProperty('404');
    expect(doc.paths['/api/access-requests'].post.responses).toHaveProperty('409');
    expect(doc.paths['/auth/token'].post.responses).toHaveProperty('429');
  });

  it('what the routes really answer matches the schemas the document shows', async () => {
    // Something in every list, so item schemas are checked too.
    expect((await call(t, 'POST', '/auth/tokens', { token: admin, body: { name: 'laptop' } })).status).toBe(201);
    const analyst = await call(t, 'POST', '/api/users', { token: admin, body: { email: 'a@example.com', role: 'analyst', password: 'analyst-password-1' } });
    expect((await call(t, 'PUT', '/api/admin/registry/salaries', { token: admin, body: { is_public: false } })).status).toBe(200);
    const asker = (await call(t, 'POST', '/auth/token', { body: { email: 'a@example.com', password: 'analyst-password-1' } })).json.access_token;
    expect((await call(t, 'POST', '/api/access-requests', { token: asker, body: { table_id: 'salaries' } })).status).toBe(201);
    expect((await call(t, 'POST', '/api/admin/permissions', { token: admin, body: { user_id: analyst.json.id, dataset: 'shop.*' } })).status).toBe(201);
    const checked: string[] = [];
    const wrong: string[] = [];
    for (const { method, path, op } of ops) {
      const schema = op.responses['200']?.content?.['application/json']?.schema;
      if (method !== 'GET' || path.includes('{') || !schema) continue;
      const r = await call(t, 'GET', path, { token: admin });
      const parsed = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]).safeParse(r.json);
      checked.push(path);
      if (r.status !== 200 || !parsed.success) wrong.push(`${path} ${r.status}: ${parsed.error?.message ?? r.text}`);
    }
    const one = async (path: string, schemaPath: string, token = admin) => {
      const schema = doc.paths[schemaPath].get.responses['200'].content!['application/json'].schema!;
      const r = await call(t, 'GET', path, { token });
      const parsed = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]).safeParse(r.json);
      if (!parsed.success) wrong.push(`${path}: ${parsed.error.message}`);
    };
    await one(`/api/users/${analyst.json.id}`, '/api/users/{id}');
    await one('/api/catalog/profile/orders', '/api/catalog/profile/{name}');
    await one('/api/access-requests/my', '/api/access-requests/my', asker);
    expect(wrong).toEqual([]);
    expect(checked).toEqual(
      expect.arrayContaining([
        '/api/users',
        '/auth/tokens',
        '/api/admin/registry',
        '/api/admin/audit',
        '/api/sync/manifest',
        '/api/health',
        '/api/catalog/tables',
      ]),
    );
  });
});
