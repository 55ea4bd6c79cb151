// Signing in to BigQuery, one way per `credentials` kind. A service-account key makes its own
// JWT grant (RS256, RFC 7523) against the key's token endpoint, or `token_url` in tests: the
// auth library's JWT client has Google's token URL built in. The access token is cached until
// a minute before it expires. A pre-issued access token is sent as it is. ADC is left to the
// official client. Every secret met here (key, tokens) is listed for redaction.
import { createSign } from 'node:crypto';
import type { BigQueryOptions } from '@google-cloud/bigquery';
import type { Credentials, ServiceAccountKey } from './config.js';
import { BigQueryUnauthorizedError } from './errors.js';
import { transportError, translateApiError } from './api-errors.js';

export const BIGQUERY_SCOPE = 'https://www.googleapis.com/auth/bigquery';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** A token is renewed this long before it expires, so no call goes out with one about to lapse. */
const EXPIRY_MARGIN_MS = 60_000;

/** What the official client needs of an auth client: the Authorization header for a request. */
export interface HeaderSource {
  getRequestHeaders(url?: string): Promise<Headers>;
}

export interface Auth {
  /** For the official client's `authClient`; undefined: application default credentials. */
  client?: HeaderSource;
  /** Values never to appear in a log line or an error: the key, the tokens issued so far. */
  secrets(): string[];
  /** For health and logs, without any secret. */
  describe(): string;
}

export interface AuthOptions {
  /** Overrides the key's token_uri (tests, emulators). */
  tokenUrl?: string;
  requestTimeoutMs: number;
}

export function createAuth(credentials: Credentials, o: AuthOptions): Auth {
  switch (credentials.kind) {
    case 'access_token': {
      const headers = () => Promise.resolve(new Headers({ authorization: `Bearer ${credentials.token}` }));
      return { client: { getRequestHeaders: headers }, secrets: () => [credentials.token], describe: () => 'an access token' };
    }
    case 'service_account': {
      const tokens = new ServiceAccountTokens(credentials.key, o);
      return {
        client: { getRequestHeaders: async () => new Headers({ authorization: `Bearer ${await tokens.token()}` }) },
        secrets: () => tokens.secrets(),
        describe: () => `service account ${credentials.key.client_email}`,
      };
    }
    case 'adc':
      return { secrets: () => [], describe: () => 'application default credentials' };
  }
}

/** The official client types its `authClient` as the auth library's classes; it only ever asks one for request headers. */
export function asAuthClient(source: HeaderSource): BigQueryOptions['authClient'] {
  return source as unknown as BigQueryOptions['authClient'];
}

/** Access tokens of a service account, from the OAuth 2.0 JWT-bearer grant. */
export class ServiceAccountTokens {
  private current?: { token: string; expiresAt: number };
  private pending?: Promise<string>;
  private readonly issued: string[] = [];
  readonly tokenUrl: string;

  constructor(
    private readonly key: ServiceAccountKey,
    private readonly o: AuthOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.tokenUrl = o.tokenUrl ?? key.token_uri ?? GOOGLE_TOKEN_URL;
  }

  /** A valid access token; concurrent callers share one grant. */
  token(): Promise<string> {
    if (this.current && this.current.expiresAt - EXPIRY_MARGIN_MS > this.now()) return Promise.resolve(this.current.token);
    this.pending ??= this.grant().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  secrets(): string[] {
    return [this.key.private_key, ...this.keyLines(), ...this.issued];
  }

  /** The PEM body's lines: a message quoting part of the key is still masked. */
  private keyLines(): string[] {
    return this.key.private_key.split(/\\n|\n/).filter((l) => l.length >= 16 && !l.startsWith('-----'));
  }

  private redact(text: string): string {
    let out = text;
    for (const s of this.secrets()) if (s && out.includes(s)) out = out.split(s).join('[redacted]');
    return out;
  }

  /**
   * One grant. Not retried here: it runs inside a BigQuery call, whose retries (the one policy)
   * take a failed grant that may succeed later (5xx, a lost connection) as that call's failure.
   */
  private async grant(): Promise<string> {
    const what = `the service-account token grant at ${this.tokenUrl}`;
    const redact = (t: string) => this.redact(t);
    const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: this.assertion() });
    let res: Response;
    try {
      res = await fetch(this.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        signal: AbortSignal.timeout(this.o.requestTimeoutMs),
      });
    } catch (e) {
      throw transportError(what, e, redact);
    }
    const text = await res.text().catch(() => '');
    let json: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      // Not JSON: described by its status and text below.
    }
    if (!res.ok) {
      const message = [json.error, json.error_description].filter((x) => typeof x === 'string').join(': ') || text.slice(0, 300);
      if (res.status === 400 || res.status === 401 || res.status === 403) {
        throw new BigQueryUnauthorizedError(redact(`${what} answered ${res.status}: ${message} (check the key the config's service_account_env names)`), {
          httpStatus: res.status,
        });
      }
      throw translateApiError(
        what,
        { code: res.status, message, response: { headers: { 'retry-after': res.headers.get('retry-after') ?? undefined } } },
        redact,
      );
    }
    if (typeof json.access_token !== 'string' || !json.access_token) {
      throw new BigQueryUnauthorizedError(`${what} answered without an access_token`, { httpStatus: res.status });
    }
    const expiresIn = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 3600;
    this.issued.push(json.access_token);
    // The last few stay listed: a call that started with an older token may still fail quoting it.
    if (this.issued.length > 4) this.issued.shift();
    this.current = { token: json.access_token, expiresAt: this.now() + expiresIn * 1000 };
    return json.access_token;
  }

  /** The signed JWT: the service account asks for the BigQuery scope, for an hour. */
  private assertion(): string {
    const iat = Math.floor(this.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', ...(this.key.private_key_id ? { kid: this.key.private_key_id } : {}) };
    const claims = { iss: this.key.client_email, scope: BIGQUERY_SCOPE, aud: this.tokenUrl, iat, exp: iat + 3600 };
    const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(input).sign(this.key.private_key.replace(/\\n/g, '\n'));
    return `${input}.${base64url(signature)}`;
  }
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}
