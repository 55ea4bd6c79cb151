// The fake's Google OAuth2 side: one generated service account key, a token endpoint for the
// JWT-bearer grant (RFC 7523, as https://developers.google.com/identity/protocols/oauth2/service-account
// describes it: POST form `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<RS256 JWT>`),
// and the register of access tokens it issued, which every REST call must present as Bearer.
// Errors are Google's token endpoint shape `{error, error_description}` with 400.
import { createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';

/** Google's token endpoint: what google-auth-library signs as `aud` and posts to, whatever `token_uri` says. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const ACCEPTED_AUDIENCES = [GOOGLE_TOKEN_URL, 'https://www.googleapis.com/oauth2/v4/token', 'https://accounts.google.com/o/oauth2/token'];
/** Scopes that grant BigQuery access (the client asks for the first). */
const BIGQUERY_SCOPES = [
  'https://www.googleapis.com/auth/bigquery',
  'https://www.googleapis.com/auth/bigquery.readonly',
  'https://www.googleapis.com/auth/cloud-platform',
  'https://www.googleapis.com/auth/cloud-platform.read-only',
];
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_LIFETIME_S = 3599;
/** Clock skew tolerated on `iat`, as Google's endpoint is lenient by a few minutes. */
const SKEW_S = 300;

/** A service account JSON key as the Cloud console downloads it. */
export interface ServiceAccountKey {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: string;
}

export interface TokenGrant {
  access_token: string;
  expires_in: number;
  token_type: 'Bearer';
}

interface IssuedToken {
  expiresAt: number;
  email: string;
}

/** Why a token request was refused, in OAuth terms. */
class GrantError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

export class FakeAuth {
  readonly key: ServiceAccountKey;
  private readonly publicKey: KeyObject;
  private readonly tokens = new Map<string, IssuedToken>();
  private preIssued: string | null = null;

  constructor(projectId: string, tokenUrl: string) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    this.publicKey = createPublicKey(publicKey);
    const email = `aida-fake@${projectId}.iam.gserviceaccount.com`;
    this.key = {
      type: 'service_account',
      project_id: projectId,
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey,
      client_email: email,
      client_id: String(100000000000000000000n + BigInt(`0x${randomBytes(8).toString('hex')}`)),
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: tokenUrl,
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(email)}`,
      universe_domain: 'googleapis.com',
    };
  }

  /** A token valid for a day, issued without the JWT exchange (the same one until tokens are revoked). */
  accessToken(): string {
    if (!this.preIssued || !this.tokens.has(this.preIssued)) this.preIssued = this.issue(this.key.client_email, 24 * 3600).access_token;
    return this.preIssued;
  }

  revokeAll(): void {
    this.tokens.clear();
    this.preIssued = null;
  }

  /** Whether an Authorization header carries a live token this fake issued. */
  check(authorization: string | undefined): 'ok' | 'missing' | 'invalid' {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!m) return 'missing';
    const t = this.tokens.get(m[1]);
    return t && t.expiresAt > Date.now() ? 'ok' : 'invalid';
  }

  /** Answers one token request: the grant, or Google's error body. */
  grant(form: URLSearchParams, tokenUrl: string): { status: number; body: TokenGrant | { error: string; error_description: string } } {
    try {
      const grantType = form.get('grant_type');
      if (!grantType) throw new GrantError('invalid_request', 'Missing required parameter: grant_type');
      if (grantType !== JWT_BEARER) throw new GrantError('unsupported_grant_type', `Invalid grant_type: ${grantType}`);
      const assertion = form.get('assertion');
      if (!assertion) throw new GrantError('invalid_request', 'Missing required parameter: assertion');
      const claims = this.verifyAssertion(assertion, tokenUrl);
      return { status: 200, body: this.issue(claims.iss, TOKEN_LIFETIME_S) };
    } catch (e) {
      if (e instanceof GrantError) return { status: 400, body: { error: e.error, error_description: e.description } };
      throw e;
    }
  }

  private issue(email: string, lifetimeS: number): TokenGrant {
    const access_token = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    this.tokens.set(access_token, { email, expiresAt: Date.now() + lifetimeS * 1000 });
    return { access_token, expires_in: lifetimeS, token_type: 'Bearer' };
  }

  /** Checks the JWT's signature against the generated key, then its claims as Google does. */
  private verifyAssertion(jwt: string, tokenUrl: string): { iss: string } {
    const parts = jwt.split('.');
    if (parts.length !== 3) throw new GrantError('invalid_grant', 'Invalid JWT: malformed assertion.');
    const header = decodeJson(parts[0]);
    const payload = decodeJson(parts[1]);
    if (!header || !payload) throw new GrantError('invalid_grant', 'Invalid JWT: the header or claim set is not JSON.');
    if (header.alg !== 'RS256') throw new GrantError('invalid_grant', `Invalid JWT: unsupported algorithm ${String(header.alg)}.`);
    if (header.kid !== undefined && header.kid !== this.key.private_key_id) throw new GrantError('invalid_grant', 'Invalid JWT Signature.');
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    if (!verify('RSA-SHA256', signed, this.publicKey, Buffer.from(parts[2], 'base64url'))) throw new GrantError('invalid_grant', 'Invalid JWT Signature.');
    if (payload.iss !== this.key.client_email) throw new GrantError('invalid_grant', 'Invalid grant: account not found');
    if (typeof payload.aud !== 'string' || ![...ACCEPTED_AUDIENCES, tokenUrl].includes(payload.aud)) {
      throw new GrantError('invalid_grant', `Invalid JWT: Failed audience check. The expected audience is ${GOOGLE_TOKEN_URL}.`);
    }
    const now = Math.floor(Date.now() / 1000);
    const { iat, exp } = payload;
    if (typeof iat !== 'number' || typeof exp !== 'number' || exp <= now || iat > now + SKEW_S || exp - iat > 3600) {
      throw new GrantError(
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    }
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    if (!scopes.some((s) => BIGQUERY_SCOPES.includes(s))) throw new GrantError('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    return { iss: payload.iss };
  }
}

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
