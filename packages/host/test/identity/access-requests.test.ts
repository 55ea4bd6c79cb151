import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost } from '@aida/host/testing';
import { call, userWithSession } from './helpers.js';
import { dataHost } from '../data/fixtures.js';

let t: TestHost;
let admin: string;
let analyst: { id: string; token: string };

beforeAll(async () => {
  ({ t, admin } = await dataHost());
  analyst = await userWithSession(t, admin, 'asker@example.com', 'analyst');
  // salaries (source hr) is private: the analyst cannot read it yet; orders and customers are public.
  expect((await call(t, 'PUT', '/api/admin/registry/salaries', { token: admin, body: { is_public: false } })).status).toBe(200);
});
afterAll(() => t?.stop());

const ask = (token: string, table_id: string) => call(t, 'POST', '/api/access-requests', { token, body: { table_id, reason: 'quarterly report' } });

describe('access requests', () => {
  it('a table nobody registered is a 404, and nothing is left pending', async () => {
    const r = await ask(analyst.token, 'no_such_table');
    expect(r.status).toBe(404);
    expect(r.json.message).toMatch(/no_such_table/);
    expect((await call(t, 'GET', '/api/access-requests/my', { token: analyst.token })).json.requests).toEqual([]);
  });

  it('a table the requester can already read is a 409 (public, granted through its bucket, or asked by an admin)', async () => {
    const pub = await ask(analyst.token, 'orders');
    expect(pub.status).toBe(409);
    expect(pub.json.code).toBe('AIDA_ALREADY_READABLE');
    expect((await ask(admin, 'salaries')).status).toBe(409);
    const other = await userWithSession(t, admin, 'bucket-reader@example.com', 'viewer');
    expect((await call(t, 'POST', '/api/admin/permissions', { token: admin, body: { user_id: other.id, dataset: 'hr.*' } })).status).toBe(201);
    expect((await ask(other.token, 'salaries')).status).toBe(409);
    expect((await call(t, 'GET', '/api/access-requests/my', { token: other.token })).json.requests).toEqual([]);
  });

  it('a private table is requested once (any spelling of its id); the admin sees who asked and for which table', async () => {
    const r = await ask(analyst.token, 'Salaries');
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ user_id: analyst.id, table_id: 'salaries', status: 'pending', reason: 'quarterly report' });
    expect((await ask(analyst.token, 'salaries')).status).toBe(409);
    const pending = await call(t, 'GET', '/api/access-requests/pending', { token: admin });
    expect(pending.json.requests).toEqual([
      expect.objectContaining({
        id: r.json.id,
        user_id: analyst.id,
        user_email: 'asker@example.com',
        table_id: 'salaries',
        table_name: 'salaries',
        status: 'pending',
      }),
    ]);
    expect((await call(t, 'POST', `/api/access-requests/${r.json.id}/approve`, { token: admin })).json.status).toBe('approved');
    const mine = await call(t, 'GET', '/api/access-requests/my', { token: analyst.token });
    expect(mine.json.requests).toEqual([expect.objectContaining({ table_id: 'salaries', table_name: 'salaries', status: 'approved' })]);
    // Approved means readable: asking again is the 409 of an already readable table.
    expect((await ask(analyst.token, 'salaries')).json.code).toBe('AIDA_ALREADY_READABLE');
  });
});
