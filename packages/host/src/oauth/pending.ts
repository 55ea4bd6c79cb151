// What lives only for minutes between the steps of an authorization: the request waiting for
// the person's consent, and the code the client exchanges once. Kept in memory, bounded and
// expiring (a restart in the middle means the agent starts connecting again).
import { randomBytes } from 'node:crypto';

/** An authorization request the SDK's handler validated, waiting on the consent page. */
export interface PendingAuthorization {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  state: string | undefined;
  scopes: string[];
  resource: string | null;
}

/** An authorization code: single use, bound to the client, the redirect URI and the PKCE challenge. */
export interface IssuedCode {
  clientId: string;
  grantId: string;
  redirectUri: string;
  codeChallenge: string;
}

/** Entries under random keys that expire after `ttlMs`; the oldest go first past `max`. */
export class Expiring<T> {
  private readonly entries = new Map<string, { value: T; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
  ) {}

  /** Stores `value` under a new random key and returns the key. */
  add(value: T, prefix = ''): string {
    this.expire();
    while (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    const key = `${prefix}${randomBytes(24).toString('base64url')}`;
    this.entries.set(key, { value, expiresAt: Date.now() + this.ttlMs });
    return key;
  }

  get(key: string): T | undefined {
    this.expire();
    return this.entries.get(key)?.value;
  }

  /** Removes and returns the entry: what makes a code single use. */
  take(key: string): T | undefined {
    const value = this.get(key);
    this.entries.delete(key);
    return value;
  }

  private expire(): void {
    const now = Date.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
  }
}
