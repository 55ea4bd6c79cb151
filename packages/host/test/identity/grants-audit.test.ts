import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { bootstrap, call, userWithSession } from './helpers.js';

let t: TestHost;
let admin: string;
beforeAll(async () => {
  t = await startTestHost();
  admin = await bootstrap(t);
});
afterAll(() => t?.stop());

describe('grants and access requests', () => {
  it('grants per table and per bucket.*, listed per user; bad datasets refused', async () => {
    const u = await userWithSession(t, admin, 'granted@example.com', 'analyst');
    expect((await call(t, 'POST', '/api/admin/permissions', { token: admin, body: { user_id: u.id, dataset: 'orders' } })).status).toBe(201);
    expect((await call(t, 'POST', '/api/admin/permissions', { token: admin, body: { user_id: u.id, dataset: 'in.c-sales.*' } })).status).toBe(201);
    expect((await call(t, 'POST', '/api/admin/permissions', { token: admin, body: { user_id: u.id, dataset: 'x; drop' } })).status).toBe(400);
    const listed = await call(t, 'GET', `/api/admin/permissions/${u.id}`, { token: admin });
    expect(listed.json.permissions.map((p: { dataset: string }) => p.dataset)).toEqual(['in.c-sales.*', 'orders']);
    expect((await call(t, 'DELETE', '/api/admin/permissions', { token: admin, body: { user_id: u.id, dataset: 'orders' } })).status).toBe(204);
    expect((await call(t, 'GET', '/api/admin/permissions', { token: u.token })).status).toBe(403);
  });

  it('request → duplicate 409 → admin approves → read granted; deny is final', async () => {
    const u = await userWithSession(t, admin, 'asker@example.com', 'analyst');
    // Only a registered table the asker cannot read yet can be requested.
    expect((await call(t, 'POST', '/api/admin/register-table', { token: admin, body: { name: 'payroll', is_public: false } })).status).toBe(201);
    const req = await call(t, 'POST', '/api/access-requests', { token: u.token, body: { table_id: 'payroll', reason: 'quarterly report' } });
    expect(req.status).toBe(201);
    expect((await call(t, 'POST', '/api/access-requests', { token: u.token, body: { table_id: 'payroll' } })).status).toBe(409);
    const pending = await call(t, 'GET', '/api/access-requests/pending', { token: admin });
    expect(pending.json.requests.map((r: { id: string }) => r.id)).toContain(req.json.id);
    expect((await call(t, 'POST', `/api/access-requests/${req.json.id}/approve`, { token: u.token })).status).toBe(403);
    expect((await call(t, 'POST', `/api/access-requests/${req.json.id}/approve`, { token: admin })).json.status).toBe('approved');
    expect((await call(t, 'POST', `/api/access-requests/${req.json.id}/deny`, { token: admin })).status).toBe(409);
    const grants = await call(t, 'GET', `/api/admin/permissions/${u.id}`, { token: admin });
    expect(grants.json.permissions).toEqual([expect.objectContaining({ dataset: 'payroll', access: 'read' })]);
    expect((await call(t, 'GET', '/api/access-requests/my', { token: u.token })).json.requests[0].status).toBe('approved');
    expect((await call(t, 'POST', '/api/access-requests/nope/approve', { token: admin })).status).toBe(404);
  });
});

describe('audit', () => {
  it('every API call leaves a row with user, action, resource, status, duration and request id; filters and paging work', async () => {
    const u = await userWithSession(t, admin, 'audited@example.com', 'viewer');
    const denied = await call(t, 'GET', '/api/users', { token: u.token });
    expect(denied.status).toBe(403);
    const anonymous = await call(t, 'GET', '/api/users');
    const rows = await call(t, 'GET', `/api/admin/audit?user_id=${u.id}`, { token: admin });
    expect(rows.status).toBe(200);
    const row = rows.json.items.find((r: { request_id: string }) => r.request_id === denied.headers.get('x-request-id'));
    expect(row).toMatchObject({ user_id: u.id, action: 'GET /api/users', resource: '/api/users', status: 403, duration_ms: expect.any(Number) });
    const all = await call(t, 'GET', '/api/admin/audit?limit=1000', { token: admin });
    expect(all.json.items.find((r: { request_id: string }) => r.request_id === anonymous.headers.get('x-request-id'))).toMatchObject({
      user_id: null,
      status: 401,
    });
    const byAction = await call(t, 'GET', `/api/admin/audit?action=${encodeURIComponent('POST /auth/bootstrap')}`, { token: admin });
    expect(byAction.json.items).toHaveLength(1);
    expect(byAction.json.items[0].status).toBe(201);
    const page = await call(t, 'GET', '/api/admin/audit?limit=2&offset=1', { token: admin });
    expect(page.json.items).toHaveLength(2);
    expect(page.json.total).toBeGreaterThan(3);
    const future = await call(t, 'GET', `/api/admin/audit?since=${new Date(Date.now() + 3_600_000).toISOString()}`, { token: admin });
    expect(future.json.items).toEqual([]);
    expect((await call(t, 'GET', '/api/admin/audit?since=yesterday', { token: admin })).status).toBe(400);
  });
});
