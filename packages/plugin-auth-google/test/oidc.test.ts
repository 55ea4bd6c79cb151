import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JwksCache, OidcError, verifyIdToken } from '../src/oidc.js';
import { startFakeGoogle, type FakeGoogle } from './fake-google.js';

/** Gets a real ID token out of the fake provider by walking its code flow. */
async function tokenFrom(fake: FakeGoogle, nonce: string): Promise<string> {
  const redirect = 'http://aida.test/auth/google/callback';
  const authorize = await fetch(
    `${fake.url}/authorize?${new URLSearchParams({ client_id: fake.clientId, response_type: 'code', scope: 'openid email', redirect_uri: redirect, state: 's', nonce })}`,
    { redirect: 'manual' },
  );
  const code = new URL(authorize.headers.get('location')!).searchParams.get('code')!;
  const res = await fetch(`${fake.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, client_id: fake.clientId, client_secret: fake.clientSecret, redirect_uri: redirect }),
  });
  return ((await res.json()) as { id_token: string }).id_token;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (e) {
    if (e instanceof OidcError) return e.code;
    throw e;
  }
}

describe('ID token verification', () => {
  let fake: FakeGoogle;
  beforeAll(async () => {
    fake = await startFakeGoogle();
    fake.identity = { email: 'ada@example.com' };
  });
  afterAll(() => fake.close());
  const expectations = (nonce = 'n-1') => ({ issuer: fake.url, audience: fake.clientId, nonce });

  it('accepts a token signed with the provider key and returns its claims', async () => {
    const claims = await verifyIdToken(await tokenFrom(fake, 'n-1'), new JwksCache(`${fake.url}/jwks`), expectations());
    expect(claims).toMatchObject({ email: 'ada@example.com', email_verified: true, aud: fake.clientId, nonce: 'n-1' });
  });

  it('refuses alg none and HS256 signed with the public key (algorithm confusion)', async () => {
    const good = await tokenFrom(fake, 'n-1');
    const payload = jwt.decode(good) as Record<string, unknown>;
    const [, body] = good.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${body}.`;
    const jwks = new JwksCache(`${fake.url}/jwks`);
    expect(await codeOf(verifyIdToken(none, jwks, expectations()))).toBe('invalid_id_token');
    const jwk = ((await (await fetch(`${fake.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys[0];
    const hs = jwt.sign(payload, JSON.stringify(jwk), { algorithm: 'HS256', keyid: jwk.kid });
    expect(await codeOf(verifyIdToken(hs, jwks, expectations()))).toBe('invalid_id_token');
  });

  it('refuses a token whose signature was made by another key', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const good = await tokenFrom(fake, 'n-1');
    const { header, payload } = jwt.decode(good, { complete: true })!;
    const forged = jwt.sign(payload as object, other.privateKey, { algorithm: 'RS256', keyid: header.kid });
    expect(await codeOf(verifyIdToken(forged, new JwksCache(`${fake.url}/jwks`), expectations()))).toBe('invalid_id_token');
  });

  it('refuses a token carrying another nonce than the one sent', async () => {
    const jwks = new JwksCache(`${fake.url}/jwks`);
    expect(await codeOf(verifyIdToken(await tokenFrom(fake, 'n-1'), jwks, expectations('n-2')))).toBe('nonce_mismatch');
  });

  it('requires exp and sub; accepts a token without kid when the JWKS has a single key', async () => {
    const jwks = new JwksCache(`${fake.url}/jwks`);
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: fake.url, aud: fake.clientId, sub: '42', nonce: 'n-1', exp: now + 600 };
    const { exp: _exp, ...noExp } = claims;
    const { sub: _sub, ...noSub } = claims;
    expect(await codeOf(verifyIdToken(fake.sign(noExp), jwks, expectations()))).toBe('invalid_id_token');
    expect(await codeOf(verifyIdToken(fake.sign(noSub), jwks, expectations()))).toBe('invalid_id_token');
    expect(await codeOf(verifyIdToken(fake.sign(claims, { kid: null }), jwks, expectations()))).toBe('accepted');
  });

  it('with several audiences, azp must be this client', async () => {
    const jwks = new JwksCache(`${fake.url}/jwks`);
    const claims = { iss: fake.url, aud: [fake.clientId, 'other-client'], sub: '42', nonce: 'n-1', exp: Math.floor(Date.now() / 1000) + 600 };
    expect(await codeOf(verifyIdToken(fake.sign({ ...claims, azp: 'other-client' }), jwks, expectations()))).toBe('invalid_id_token');
    expect(await codeOf(verifyIdToken(fake.sign({ ...claims, azp: fake.clientId }), jwks, expectations()))).toBe('accepted');
  });

  it('caches the JWKS and refetches once for an unknown kid, but not more often than every 30 s', async () => {
    let now = 1_000_000;
    const before = fake.hits['/jwks'] ?? 0;
    const jwks = new JwksCache(`${fake.url}/jwks`, () => now);
    const token = await tokenFrom(fake, 'n-1');
    const kid = jwt.decode(token, { complete: true })!.header.kid;
    await jwks.key(kid);
    await jwks.key(kid);
    expect(fake.hits['/jwks'] - before).toBe(1);
    await expect(jwks.key('rotated-away')).rejects.toThrow(OidcError); // within 30 s: no refetch
    expect(fake.hits['/jwks'] - before).toBe(1);
    now += 31_000;
    await expect(jwks.key('rotated-away')).rejects.toThrow(OidcError); // refetched once, still unknown
    expect(fake.hits['/jwks'] - before).toBe(2);
    now += 3600_000; // past max-age: refreshed
    await jwks.key(kid);
    expect(fake.hits['/jwks'] - before).toBe(3);
  });

  it('reports an unreachable JWKS as jwks_unavailable', async () => {
    const good = await tokenFrom(fake, 'n-1');
    expect(await codeOf(verifyIdToken(good, new JwksCache('http://127.0.0.1:9/jwks'), expectations()))).toBe('jwks_unavailable');
  });
});
