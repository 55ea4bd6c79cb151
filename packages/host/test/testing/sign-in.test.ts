import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, TEST_ADMIN, type TestHost } from '@aida/host/testing';

let t: TestHost;
beforeAll(async () => {
  t = await startTestHost();
});
afterAll(() => t.stop());

describe('asAdmin and asUser', () => {
  it('asAdmin() is the bootstrapped admin, the same one on every call', async () => {
    const admin = await t.asAdmin();
    expect(admin.user).toMatchObject({ email: TEST_ADMIN.email, role: 'admin' });
    expect(await t.asAdmin()).toBe(admin);
    const me = await admin('/auth/me');
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email: TEST_ADMIN.email, role: 'admin' });
    expect((await admin('/api/users')).status).toBe(200);
  });

  it('asUser(role) signs in a new user with that role', async () => {
    const analyst = await t.asUser('analyst');
    expect(analyst.user.role).toBe('analyst');
    expect(await (await analyst('/auth/me')).json()).toMatchObject({ id: analyst.user.id, email: analyst.user.email, role: 'analyst' });
    const other = await t.asUser('analyst', { email: 'grace@example.com' });
    expect(other.user).toMatchObject({ email: 'grace@example.com', role: 'analyst' });
    expect(other.user.id).not.toBe(analyst.user.id);
  });

  it('a viewer gets 403 on an admin route, which the admin may use', async () => {
    const viewer = await t.asUser('viewer');
    const denied = await viewer('/api/users');
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ code: expect.any(String) });
    const admin = await t.asAdmin();
    const created = await admin('/api/users', { method: 'POST', body: JSON.stringify({ email: 'new@example.com', role: 'viewer' }) });
    expect(created.status).toBe(201);
    expect((await viewer('/api/users', { method: 'POST', body: JSON.stringify({ email: 'x@example.com' }) })).status).toBe(403);
  });

  it('without a token the API answers 401', async () => {
    expect((await t.request('/api/users')).status).toBe(401);
  });
});
