import type { TestHost } from '@aida/host/testing';
import { expect } from 'vitest';

export const ADMIN = { email: 'admin@example.test', name: 'Admin', password: 'admin-password-1' };

/** Plugin config pointing at a plain-text SMTP server on loopback (test servers speak no TLS). */
export function smtpConfig(port: number, extra: Record<string, unknown> = {}) {
  return { host: '127.0.0.1', port, secure: false, starttls: 'off', from: 'AIDA <aida@example.test>', ...extra };
}

export async function bootstrapAdmin(t: TestHost): Promise<string> {
  const res = await t.request('/auth/bootstrap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  expect(res.status, 'bootstrap of the first admin').toBe(201);
  return String(((await res.json()) as { access_token: string }).access_token);
}

export async function createUser(t: TestHost, adminToken: string, email: string, role = 'analyst'): Promise<string> {
  const res = await t.request('/api/users', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ email, name: email.split('@')[0], role }),
  });
  expect(res.status, `creating ${email}`).toBe(201);
  return String(((await res.json()) as { id: string }).id);
}

export function sendLink(t: TestHost, email: string): Promise<Response> {
  return t.request('/auth/email/send-link', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
}

export function verify(t: TestHost, email: string, token: string): Promise<Response> {
  return t.request('/auth/email/verify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, token }) });
}

/** The payload of a JWT, unverified (the host signed it; the test reads its claims). */
export function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Polls `check` until it returns a value other than undefined. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await check();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
