import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';

/** Who the next sign-in at the fake provider is, and how the provider misbehaves for it. */
export interface FakeIdentity {
  email: string;
  name?: string;
  sub?: string;
  email_verified?: boolean;
  /** Leave email out of the ID token, so the relying party must ask userinfo. */
  emailOnlyInUserinfo?: boolean;
}

/** Failures the test can inject into the next token responses. */
export interface FakeFailures {
  /** /token answers with this HTTP status (and an OAuth error body). */
  tokenStatus?: number;
  /** The ID token is signed with a key that is not in the JWKS (same kid). */
  signWithForeignKey?: boolean;
  nonce?: string;
  issuer?: string;
  audience?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  /** /authorize redirects back with `error=<this>` instead of a code. */
  authorizeError?: string;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  nonce: string | undefined;
  codeChallenge: string | undefined;
  identity: FakeIdentity;
  scope: string;
}

export interface FakeGoogle {
  url: string;
  clientId: string;
  clientSecret: string;
  /** The identity the next /authorize hands out (stays until changed). */
  identity: FakeIdentity;
  failures: FakeFailures;
  /** Requests per path, to check caching (e.g. /jwks fetched once). */
  hits: Record<string, number>;
  /** The query of the last /authorize request. */
  lastAuthorize: URLSearchParams | undefined;
  /** Signs arbitrary claims with the provider's key (`kid: null` leaves the kid out). */
  sign(claims: Record<string, unknown>, options?: { kid?: string | null }): string;
  /** The plugin config slice pointing at this server. */
  config(extra?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

/**
 * A small OpenID Connect provider speaking Google's protocol on 127.0.0.1: authorization code
 * flow with state, nonce and PKCE (S256), client_secret_post or client_secret_basic, ID tokens
 * signed RS256 with a key generated at start, published as a JWKS.
 */
export async function startFakeGoogle(options: { clientId?: string; clientSecret?: string } = {}): Promise<FakeGoogle> {
  const clientId = options.clientId ?? 'aida-test.apps.googleusercontent.com';
  const clientSecret = options.clientSecret ?? `secret-${randomBytes(8).toString('hex')}`;
  const kid = `test-key-${randomBytes(4).toString('hex')}`;
  const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const codes = new Map<string, PendingCode>();
  const accessTokens = new Map<string, PendingCode>();

  const fake: FakeGoogle = {
    url: '',
    clientId,
    clientSecret,
    identity: { email: 'someone@example.com' },
    failures: {},
    hits: {},
    lastAuthorize: undefined,
    sign: (claims, options = {}) =>
      jwt.sign(claims, signing.privateKey, options.kid === null ? { algorithm: 'RS256' } : { algorithm: 'RS256', keyid: options.kid ?? kid }),
    config: (extra = {}) => ({
      client_id: clientId,
      client_secret: clientSecret,
      base_url: PUBLIC_ORIGIN,
      authorize_url: `${fake.url}/authorize`,
      token_url: `${fake.url}/token`,
      userinfo_url: `${fake.url}/userinfo`,
      jwks_uri: `${fake.url}/jwks`,
      issuer: fake.url,
      ...extra,
    }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const sub = (identity: FakeIdentity) => identity.sub ?? createHash('sha256').update(identity.email).digest('hex').slice(0, 21);

  function idToken(p: PendingCode): string {
    const f = fake.failures;
    const claims: Record<string, unknown> = {
      iss: f.issuer ?? fake.url,
      aud: f.audience ?? p.clientId,
      azp: p.clientId,
      sub: sub(p.identity),
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + (f.expiresIn ?? 3600),
      name: p.identity.name,
    };
    const nonce = f.nonce ?? p.nonce;
    if (nonce !== undefined) claims.nonce = nonce;
    if (!p.identity.emailOnlyInUserinfo) {
      claims.email = p.identity.email;
      claims.email_verified = p.identity.email_verified ?? true;
      const domain = p.identity.email.split('@')[1];
      if (domain && domain !== 'gmail.com') claims.hd = domain;
    }
    const key: KeyObject = f.signWithForeignKey ? foreign.privateKey : signing.privateKey;
    return jwt.sign(claims, key, { algorithm: 'RS256', keyid: kid });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', fake.url);
    fake.hits[url.pathname] = (fake.hits[url.pathname] ?? 0) + 1;

    if (req.method === 'GET' && url.pathname === '/authorize') {
      const q = url.searchParams;
      fake.lastAuthorize = q;
      const redirectUri = q.get('redirect_uri');
      if (q.get('client_id') !== clientId || !redirectUri)
        return send(res, 400, { error: 'invalid_request', error_description: 'unknown client or missing redirect_uri' });
      if (q.get('response_type') !== 'code' || !(q.get('scope') ?? '').split(' ').includes('openid')) {
        return send(res, 400, { error: 'invalid_request', error_description: 'response_type=code and scope openid required' });
      }
      if (q.get('code_challenge') && q.get('code_challenge_method') !== 'S256')
        return send(res, 400, { error: 'invalid_request', error_description: 'only S256' });
      const back = new URL(redirectUri);
      if (fake.failures.authorizeError) {
        back.searchParams.set('error', fake.failures.authorizeError);
      } else {
        const code = randomBytes(16).toString('hex');
        codes.set(code, {
          clientId,
          redirectUri,
          nonce: q.get('nonce') ?? undefined,
          codeChallenge: q.get('code_challenge') ?? undefined,
          identity: { ...fake.identity },
          scope: q.get('scope') ?? '',
        });
        back.searchParams.set('code', code);
      }
      if (q.get('state') !== null) back.searchParams.set('state', q.get('state')!);
      res.writeHead(302, { location: back.href });
      return void res.end();
    }

    if (req.method === 'POST' && url.pathname === '/token') {
      if (fake.failures.tokenStatus) return send(res, fake.failures.tokenStatus, { error: 'server_error' });
      const form = new URLSearchParams(await readBody(req));
      let id = form.get('client_id');
      let secret = form.get('client_secret');
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (basic) [id, secret] = Buffer.from(basic, 'base64').toString('utf8').split(':').map(decodeURIComponent);
      if (id !== clientId || secret !== clientSecret) return send(res, 401, { error: 'invalid_client' });
      if (form.get('grant_type') !== 'authorization_code') return send(res, 400, { error: 'unsupported_grant_type' });
      const code = form.get('code') ?? '';
      const p = codes.get(code);
      codes.delete(code); // single use
      if (!p || p.redirectUri !== form.get('redirect_uri')) return send(res, 400, { error: 'invalid_grant' });
      if (p.codeChallenge) {
        const verifier = form.get('code_verifier') ?? '';
        if (createHash('sha256').update(verifier).digest('base64url') !== p.codeChallenge)
          return send(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
      }
      const accessToken = randomBytes(24).toString('hex');
      accessTokens.set(accessToken, p);
      return send(res, 200, { access_token: accessToken, expires_in: 3599, token_type: 'Bearer', scope: p.scope, id_token: idToken(p) });
    }

    if (req.method === 'GET' && url.pathname === '/userinfo') {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const p = token ? accessTokens.get(token) : undefined;
      if (!p) return send(res, 401, { error: 'invalid_token' });
      return send(res, 200, { sub: sub(p.identity), email: p.identity.email, email_verified: p.identity.email_verified ?? true, name: p.identity.name });
    }

    if (req.method === 'GET' && url.pathname === '/jwks') {
      const jwk = { ...signing.publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
      res.setHeader('cache-control', 'public, max-age=3600');
      return send(res, 200, { keys: [jwk] });
    }

    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      return send(res, 200, {
        issuer: fake.url,
        authorization_endpoint: `${fake.url}/authorize`,
        token_endpoint: `${fake.url}/token`,
        userinfo_endpoint: `${fake.url}/userinfo`,
        jwks_uri: `${fake.url}/jwks`,
        response_types_supported: ['code'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    send(res, 404, { error: 'not_found' });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => send(res, 500, { error: 'fake_crashed', message: e.message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

/**
 * The public origin the tests give the plugin as `base_url`. The test browser resolves it to
 * the test host's loopback URL, as DNS and a reverse proxy would in front of a real instance.
 */
export const PUBLIC_ORIGIN = 'http://aida.test';

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req
      .on('data', (c: Buffer) => chunks.push(c))
      .on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
      .on('error', reject);
  });
}
