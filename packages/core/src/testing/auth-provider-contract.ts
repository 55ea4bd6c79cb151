import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthenticatedFetch, ContractHost } from './contract-host.js';

export interface AuthProviderFixture<H extends ContractHost = ContractHost> {
  /**
   * A started host offering the provider, e.g. `await startTestHost({ plugins: [{ plugin, config }] })`
   * from `@aida/host/testing` (no plugin for the built-in password provider). The suite signs
   * in its admin with `host.asAdmin()` and stops the host after its tests, before `cleanup`.
   */
  host: H;
  /** The provider id as registered (`password`, `google`, `email`). */
  providerId: string;
  /**
   * Runs the provider's whole sign-in flow for an existing user against the running host,
   * as a browser or client would, and returns the session JWT the host issued.
   * `password` is the password the suite set for the user (only the password provider needs it).
   */
  signIn(t: H, email: string, password: string): Promise<string>;
  /** Runs the flow with a credential that must be refused and returns the response that refused it. */
  signInRejected(t: H, email: string): Promise<Response>;
  cleanup?(): Promise<void>;
}

async function json(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`expected JSON from ${res.url} (${res.status}), got: ${text.slice(0, 200)}`);
  }
}

function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * The suite every sign-in method must pass, in a real host: the login page offers it; a
 * successful flow yields a host-issued session for the right user; a refused flow sets no
 * session; a deactivated user can neither sign in nor keep using an earlier session.
 */
export function describeAuthProviderContract<H extends ContractHost>(name: string, makeFixture: () => Promise<AuthProviderFixture<H>>): void {
  describe(`auth provider contract: ${name}`, () => {
    let fixture: AuthProviderFixture<H>;
    let t: H;
    let asAdmin: AuthenticatedFetch;
    const email = `contract-user-${Date.now()}@example.com`;
    const password = 'user-password-1';
    let userId: string;

    beforeAll(async () => {
      fixture = await makeFixture();
      t = fixture.host;
      asAdmin = await t.asAdmin();
      const created = await asAdmin('/api/users', { method: 'POST', body: JSON.stringify({ email, name: 'Contract User', role: 'analyst' }) });
      expect(created.status, 'creating the test user').toBe(201);
      userId = String((await json(created)).id);
      const pw = await asAdmin(`/api/users/${userId}/set-password`, { method: 'POST', body: JSON.stringify({ password }) });
      expect(pw.status, 'setting the test user password').toBeLessThan(300);
    });
    afterAll(async () => {
      await t?.stop();
      await fixture?.cleanup?.();
    });

    it('the login page offers the provider', async () => {
      const html = await (await t.request('/login')).text();
      expect(html).toContain(`data-provider="${fixture.providerId}"`);
    });

    it('a successful flow yields a session the host issued for that user', async () => {
      const jwt = await fixture.signIn(t, email, password);
      const c = claims(jwt);
      expect(c).toMatchObject({ sub: userId, email, role: 'analyst', typ: 'session' });
      expect(typeof c.jti).toBe('string');
      expect(Number(c.exp)).toBeGreaterThan(Date.now() / 1000);
      const me = await t.request('/auth/me', { headers: { authorization: `Bearer ${jwt}` } });
      expect(me.status).toBe(200);
      expect(await json(me)).toMatchObject({ id: userId, email, role: 'analyst' });
    });

    it('a refused flow sets no session cookie', async () => {
      const res = await fixture.signInRejected(t, email);
      expect([302, 303, 400, 401, 403]).toContain(res.status);
      expect(res.headers.get('set-cookie') ?? '').not.toMatch(/access_token=[^;]+/);
    });

    it('a deactivated user cannot sign in, and their earlier session stops working at once', async () => {
      const jwt = await fixture.signIn(t, email, password);
      expect((await asAdmin(`/api/users/${userId}/deactivate`, { method: 'POST' })).status).toBeLessThan(300);
      try {
        expect((await t.request('/auth/me', { headers: { authorization: `Bearer ${jwt}` } })).status).toBe(401);
        await expect(fixture.signIn(t, email, password)).rejects.toThrow();
      } finally {
        await asAdmin(`/api/users/${userId}/activate`, { method: 'POST' });
      }
    });
  });
}
