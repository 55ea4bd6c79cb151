import jwt from 'jsonwebtoken';
import type { TestHost } from '@aida/host/testing';

export const ADMIN = { email: 'root@example.com', name: 'Root', password: 'root-password-1' };

export async function call(t: TestHost, method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await t.request(path, {
    method,
    redirect: 'manual',
    headers: {
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...opts.headers,
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

export async function bootstrap(t: TestHost): Promise<string> {
  const r = await call(t, 'POST', '/auth/bootstrap', { body: ADMIN });
  if (r.status !== 201) throw new Error(`bootstrap failed: ${r.status} ${r.text}`);
  return r.json.access_token;
}

/** Creates a user with a password and returns their id and a session token. */
export async function userWithSession(t: TestHost, admin: string, email: string, role: string) {
  const created = await call(t, 'POST', '/api/users', { token: admin, body: { email, name: email, role, password: 'user-password-1' } });
  if (created.status !== 201) throw new Error(`create user failed: ${created.status} ${created.text}`);
  const signed = await call(t, 'POST', '/auth/token', { body: { email, password: 'user-password-1' } });
  return { id: created.json.id as string, token: signed.json.access_token as string };
}

export function decode(token: string): Record<string, any> {
  return jwt.decode(token) as Record<string, any>;
}
