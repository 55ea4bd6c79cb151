import { randomBytes } from 'node:crypto';
import type { IssuedSession, Role } from '@aida/core';
import type { AuthenticatedFetch } from '@aida/core/testing';

/** The admin the test kit bootstraps; its password lets a test sign in as that admin through any route. */
export const TEST_ADMIN = { email: 'test-admin@example.com', name: 'Test Admin', password: 'test-admin-password-1' } as const;

const USER_PASSWORD = 'test-user-password-1';

export interface TestUserOptions {
  /** Defaults to a fresh `test-<role>-<random>@example.com` (fresh on a reused data dir too). */
  email?: string;
  name?: string;
  /** Defaults to a fixed password of at least 8 characters. */
  password?: string;
}

async function expectJson<T>(res: Response, what: string, status: number): Promise<T> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

function authenticatedFetch(baseUrl: string, session: IssuedSession): AuthenticatedFetch {
  const call = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${session.access_token}`);
    if (typeof init.body === 'string' && !headers.has('content-type')) headers.set('content-type', 'application/json');
    return fetch(`${baseUrl}${path}`, { ...init, headers });
  };
  return Object.assign(call, { token: session.access_token, user: { id: session.user_id, email: session.email, role: session.role } });
}

function post(baseUrl: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/**
 * Signs users in through the host's real API, as a client would: the first admin by
 * `POST /auth/bootstrap`, others created by that admin (`POST /api/users`) and signed in
 * with `POST /auth/token`. One per test host.
 */
export class TestSignIn {
  private admin: Promise<AuthenticatedFetch> | undefined;

  constructor(private readonly baseUrl: string) {}

  /** The kit's admin, bootstrapped on the first call (or signed in, on a data dir it bootstrapped before). */
  asAdmin(): Promise<AuthenticatedFetch> {
    this.admin ??= this.signInAdmin().catch((e: unknown) => {
      this.admin = undefined; // let a later call try again
      throw e;
    });
    return this.admin;
  }

  /** A new user with `role`, created by the kit's admin and signed in with a password. */
  async asUser(role: Role, options: TestUserOptions = {}): Promise<AuthenticatedFetch> {
    const admin = await this.asAdmin();
    const email = options.email ?? `test-${role}-${randomBytes(4).toString('hex')}@example.com`;
    const password = options.password ?? USER_PASSWORD;
    const created = await admin('/api/users', { method: 'POST', body: JSON.stringify({ email, name: options.name ?? email, role, password }) });
    await expectJson(created, `asUser(${role}): POST /api/users for ${email}`, 201);
    return this.signIn(email, password, `asUser(${role})`);
  }

  private async signInAdmin(): Promise<AuthenticatedFetch> {
    const boot = await post(this.baseUrl, '/auth/bootstrap', TEST_ADMIN);
    if (boot.status === 201) return authenticatedFetch(this.baseUrl, await expectJson<IssuedSession>(boot, 'asAdmin(): POST /auth/bootstrap', 201));
    // Bootstrapped before: a restarted host on the same data dir still knows the kit's admin.
    const refused = await boot.text();
    try {
      return await this.signIn(TEST_ADMIN.email, TEST_ADMIN.password, 'asAdmin()');
    } catch (e) {
      throw new Error(
        `asAdmin(): the host refused to bootstrap an admin (${boot.status}: ${refused.slice(0, 200)}) and ${TEST_ADMIN.email} cannot sign in: the test created users before asking for the admin`,
        { cause: e },
      );
    }
  }

  private async signIn(email: string, password: string, what: string): Promise<AuthenticatedFetch> {
    const res = await post(this.baseUrl, '/auth/token', { email, password });
    return authenticatedFetch(this.baseUrl, await expectJson<IssuedSession>(res, `${what}: POST /auth/token for ${email}`, 200));
  }
}
