// Two hosts of one instance (different data dirs, one PostgreSQL schema): what one host
// changes about users, tokens, grants and sign-in attempts holds on the other at once.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { dropTestSchema, TEST_POSTGRES_URL } from '../../src/testing/test-state.js';
import { waitFor } from '../../../../tests/helpers.js';
import { bootstrap, call, userWithSession } from '../identity/helpers.js';

const schema = `aida_t_scale_${randomBytes(6).toString('hex')}`;
const SIGNIN_LIMIT = 6;
const config = {
  state: { backend: 'postgres', url: TEST_POSTGRES_URL, schema },
  auth: { signin_limit: { per_account: SIGNIN_LIMIT, per_ip: 1000, window: '1m' } },
};

let a: TestHost;
let b: TestHost;
let admin: string;
beforeAll(async () => {
  // One after the other: the first migrates the shared schema, the second finds it migrated.
  a = await startTestHost({ config });
  b = await startTestHost({ config });
  admin = await bootstrap(a);
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await dropTestSchema(schema);
});

/** Polls `check` on host B until it holds; returns how long that took after `since`. */
async function heldWithin(what: string, since: number, check: () => Promise<boolean>): Promise<number> {
  await waitFor(check, 5000, what);
  return Date.now() - since;
}

describe('two hosts on one PostgreSQL state', () => {
  it('a PAT created on A works on B; revoked on A, B refuses it within a second', async () => {
    const created = await call(a, 'POST', '/auth/tokens', { token: admin, body: { name: 'scale', expires_in_days: 1 } });
    expect(created.status).toBe(201);
    const pat = created.json.token as string;
    expect((await call(b, 'GET', '/auth/me', { token: pat })).status).toBe(200);

    expect((await call(a, 'DELETE', `/auth/tokens/${created.json.id}`, { token: admin })).status).toBe(204);
    const revokedAt = Date.now();
    const elapsed = await heldWithin('B to refuse the revoked PAT', revokedAt, async () => (await call(b, 'GET', '/auth/me', { token: pat })).status === 401);
    expect(elapsed).toBeLessThan(1000);
    expect((await call(b, 'GET', '/auth/me', { token: pat })).json.code).toBe('AIDA_TOKEN_REVOKED');
  });

  it('a user deactivated on A loses their session on B', async () => {
    const u = await userWithSession(a, admin, 'leaver@example.com', 'analyst');
    expect((await call(b, 'GET', '/auth/me', { token: u.token })).status).toBe(200);
    expect((await call(a, 'POST', `/api/users/${u.id}/deactivate`, { token: admin })).status).toBe(200);
    const elapsed = await heldWithin(
      'B to refuse the deactivated user',
      Date.now(),
      async () => (await call(b, 'GET', '/auth/me', { token: u.token })).status === 401,
    );
    expect(elapsed).toBeLessThan(1000);
    expect((await call(b, 'GET', '/auth/me', { token: u.token })).json.code).toBe('AIDA_USER_DEACTIVATED');
  });

  it('a table registered and granted on A is readable on B', async () => {
    const u = await userWithSession(a, admin, 'reader@example.com', 'analyst');
    expect((await call(a, 'POST', '/api/admin/register-table', { token: admin, body: { name: 'payroll', is_public: false } })).status).toBe(201);
    const catalogOnB = async () => ((await call(b, 'GET', '/api/catalog/tables', { token: u.token })).json.tables as { id: string }[]).map((t) => t.id);
    await waitFor(
      async () => (await call(b, 'GET', '/api/catalog/tables', { token: admin })).json.tables.some((t: { id: string }) => t.id === 'payroll'),
      5000,
      'B to know the table',
    );
    expect(await catalogOnB()).not.toContain('payroll');

    expect((await call(a, 'POST', '/api/admin/permissions', { token: admin, body: { user_id: u.id, dataset: 'payroll' } })).status).toBe(201);
    const elapsed = await heldWithin('B to let the reader see the table', Date.now(), async () => (await catalogOnB()).includes('payroll'));
    expect(elapsed).toBeLessThan(1000);

    expect((await call(a, 'DELETE', '/api/admin/permissions', { token: admin, body: { user_id: u.id, dataset: 'payroll' } })).status).toBe(204);
    await waitFor(async () => !(await catalogOnB()).includes('payroll'), 5000, 'B to drop the revoked grant');
  });

  it('sign-in attempts split across A and B hit the limit at the configured total', async () => {
    await userWithSession(a, admin, 'guessed@example.com', 'viewer'); // one attempt (the right password), on A
    const attempt = (host: TestHost) => call(host, 'POST', '/auth/token', { body: { email: 'guessed@example.com', password: 'wrong-password-1' } });
    const statuses: number[] = [];
    for (let i = 1; i < SIGNIN_LIMIT; i++) statuses.push((await attempt(i % 2 ? b : a)).status);
    expect(statuses).toEqual(Array(SIGNIN_LIMIT - 1).fill(401));
    // The limit is reached: neither host lets another attempt through, right password or not.
    const refused = await attempt(b);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await attempt(a)).status).toBe(429);
    const right = await call(a, 'POST', '/auth/token', { body: { email: 'guessed@example.com', password: 'user-password-1' } });
    expect(right.status).toBe(429);
  });

  it('a host started later counts the attempts made before it started', async () => {
    const c = await startTestHost({ config });
    try {
      const r = await call(c, 'POST', '/auth/token', { body: { email: 'guessed@example.com', password: 'user-password-1' } });
      expect(r.status).toBe(429);
    } finally {
      await c.stop();
    }
  });
});
