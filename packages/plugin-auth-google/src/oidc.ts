import { createPublicKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

/** Why a sign-in was refused; `code` is the short code shown as `/login?error=<code>`. */
export class OidcError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OidcError';
  }
}

const HTTP_TIMEOUT_MS = 10_000;
const DEFAULT_JWKS_TTL_MS = 60 * 60_000;
const MIN_JWKS_TTL_MS = 60_000;
const MAX_JWKS_TTL_MS = 24 * 60 * 60_000;
/** An unknown `kid` triggers a refetch at most this often, so forged tokens cannot hammer the provider. */
const MIN_REFETCH_INTERVAL_MS = 30_000;

interface Jwk {
  kty?: string;
  kid?: string;
  use?: string;
  alg?: string;
  n?: string;
  e?: string;
}

/**
 * The provider's signing keys, fetched from `jwks_uri` and cached for the time its
 * Cache-Control allows (1 h when it says nothing). A token naming an unknown key refetches
 * once (Google rotates keys), but no more often than every 30 s.
 */
export class JwksCache {
  private keys = new Map<string, KeyObject>();
  private unnamed: KeyObject[] = [];
  private fetchedAt = 0;
  private expiresAt = 0;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly uri: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The RSA public key for `kid` (or the only key, when the token names none). */
  async key(kid: string | undefined): Promise<KeyObject> {
    if (this.now() >= this.expiresAt) await this.refresh();
    let found = this.lookup(kid);
    if (!found && this.now() - this.fetchedAt >= MIN_REFETCH_INTERVAL_MS) {
      await this.refresh();
      found = this.lookup(kid);
    }
    if (!found) throw new OidcError('invalid_id_token', `the id_token is signed with an unknown key (kid ${JSON.stringify(kid ?? null)})`);
    return found;
  }

  private lookup(kid: string | undefined): KeyObject | undefined {
    if (kid !== undefined) return this.keys.get(kid);
    const all = [...this.keys.values(), ...this.unnamed];
    return all.length === 1 ? all[0] : undefined;
  }

  private refresh(): Promise<void> {
    this.inFlight ??= this.load().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async load(): Promise<void> {
    let jwks: unknown;
    let cacheControl: string | null;
    try {
      const res = await fetch(this.uri, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      cacheControl = res.headers.get('cache-control');
      jwks = ((await res.json()) as { keys?: unknown } | null)?.keys;
      if (!Array.isArray(jwks)) throw new Error('the answer is not a JWK set');
    } catch (e) {
      // Keep serving the keys we have and back off; try again after the refetch interval.
      if (this.keys.size || this.unnamed.length) {
        this.fetchedAt = this.now();
        this.expiresAt = this.fetchedAt + MIN_REFETCH_INTERVAL_MS;
        return;
      }
      throw new OidcError('jwks_unavailable', `could not fetch the provider's signing keys from ${this.uri}: ${(e as Error).message}`, { cause: e });
    }
    const keys = new Map<string, KeyObject>();
    const unnamed: KeyObject[] = [];
    for (const jwk of jwks as Jwk[]) {
      if (jwk?.kty !== 'RSA' || (jwk.use !== undefined && jwk.use !== 'sig') || (jwk.alg !== undefined && jwk.alg !== 'RS256')) continue;
      if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') continue;
      let key: KeyObject;
      try {
        key = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
      } catch {
        continue;
      }
      if (typeof jwk.kid === 'string') keys.set(jwk.kid, key);
      else unnamed.push(key);
    }
    this.keys = keys;
    this.unnamed = unnamed;
    this.fetchedAt = this.now();
    this.expiresAt = this.fetchedAt + ttlFrom(cacheControl);
  }
}

function ttlFrom(cacheControl: string | null): number {
  const maxAge = /(?:^|,)\s*max-age=(\d+)/i.exec(cacheControl ?? '')?.[1];
  if (maxAge === undefined || /no-store|no-cache/i.test(cacheControl ?? '')) return DEFAULT_JWKS_TTL_MS;
  return Math.min(MAX_JWKS_TTL_MS, Math.max(MIN_JWKS_TTL_MS, Number(maxAge) * 1000));
}

/** The ID token claims AIDA relies on. */
export interface IdTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  nonce?: string;
  email?: string;
  email_verified?: boolean | string;
  name?: string;
  hd?: string;
  azp?: string;
}

export interface IdTokenExpectations {
  issuer: string | string[];
  /** The OAuth client id. */
  audience: string;
  /** The nonce sent in the authorization request. */
  nonce: string;
  /** Allowed clock skew in seconds. */
  clockToleranceSeconds?: number;
}

/**
 * Verifies an OpenID Connect ID token: RS256 signature against the provider's JWKS, `iss`,
 * `aud` (= client id, and `azp` when there are several audiences), `exp` (required) and
 * `nonce` (required, compared in constant time).
 */
export async function verifyIdToken(idToken: string, jwks: JwksCache, expect: IdTokenExpectations): Promise<IdTokenClaims> {
  const decoded = jwt.decode(idToken, { complete: true });
  if (!decoded || typeof decoded.payload === 'string') throw new OidcError('invalid_id_token', 'the id_token is not a JWT');
  if (decoded.header.alg !== 'RS256') throw new OidcError('invalid_id_token', `the id_token uses ${decoded.header.alg}, expected RS256`);
  const key = await jwks.key(decoded.header.kid);
  let claims: IdTokenClaims;
  try {
    claims = jwt.verify(idToken, key, {
      algorithms: ['RS256'],
      issuer: typeof expect.issuer === 'string' ? expect.issuer : (expect.issuer as [string, ...string[]]),
      audience: expect.audience,
      clockTolerance: expect.clockToleranceSeconds ?? 30,
    }) as unknown as IdTokenClaims;
  } catch (e) {
    if (e instanceof jwt.TokenExpiredError) throw new OidcError('id_token_expired', 'the id_token has expired', { cause: e });
    throw new OidcError('invalid_id_token', `the id_token did not verify: ${(e as Error).message}`, { cause: e });
  }
  if (typeof claims.exp !== 'number') throw new OidcError('invalid_id_token', 'the id_token has no exp claim');
  if (typeof claims.sub !== 'string' || !claims.sub) throw new OidcError('invalid_id_token', 'the id_token has no sub claim');
  if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== expect.audience) {
    throw new OidcError('invalid_id_token', 'the id_token has several audiences and its azp is not this client');
  }
  if (typeof claims.nonce !== 'string' || !safeEqual(claims.nonce, expect.nonce)) {
    throw new OidcError('nonce_mismatch', 'the id_token nonce does not match the one sent with the authorization request');
  }
  return claims;
}

/** The claims of the provider's userinfo endpoint AIDA reads. */
export interface UserInfo {
  sub: string;
  email?: string;
  email_verified?: boolean | string;
  name?: string;
}

/** Fetches userinfo with the access token; its `sub` must be the ID token's (OIDC Core 5.3.2). */
export async function fetchUserInfo(url: string, accessToken: string, sub: string): Promise<UserInfo> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' }, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  } catch (e) {
    throw new OidcError('userinfo_failed', `userinfo request failed: ${(e as Error).message}`, { cause: e });
  }
  if (!res.ok) throw new OidcError('userinfo_failed', `userinfo answered HTTP ${res.status}`);
  let info: UserInfo;
  try {
    info = (await res.json()) as UserInfo;
  } catch (e) {
    throw new OidcError('userinfo_failed', 'userinfo did not return JSON', { cause: e });
  }
  if (!info || info.sub !== sub) throw new OidcError('userinfo_failed', 'userinfo is about another subject than the id_token');
  return info;
}

/** `email_verified` is a boolean in Google's tokens, a string in some older responses. */
export function isVerified(value: unknown): boolean {
  return value === true || value === 'true';
}

/** Constant-time string comparison. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
