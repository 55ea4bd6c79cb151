// What lives only for minutes between the steps of an authorization: the request waiting for
// the person's consent, and the code the client exchanges once. Kept in the system database, so
// each step may reach another host of the instance; bounded and expiring (a lost one means the
// agent starts connecting again). Ids are stored as SHA-256 digests, like tokens.
import { randomBytes } from 'node:crypto';
import { sha256 } from '../identity/secrets.js';
import type { SystemDb } from '../state/system-db.js';

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

export interface ExpiringRowsOptions {
  /** What the rows are (`consent`, `code`): one table holds both kinds, each bounded on its own. */
  kind: string;
  ttlMs: number;
  /** Rows of this kind kept at once; the oldest go first. */
  max: number;
}

/** Entries of one kind under random keys, expiring after `ttlMs`, the oldest going first past `max`. */
export class ExpiringRows<T> {
  constructor(
    private readonly db: SystemDb,
    private readonly o: ExpiringRowsOptions,
  ) {}

  /** Stores `value` under a new random key and returns the key. */
  async add(value: T): Promise<string> {
    const now = new Date();
    await this.db.run('DELETE FROM mcp_oauth_pending WHERE expires_at <= ?::TIMESTAMP', [now.toISOString()]);
    const [{ n }] = await this.db.all<{ n: number }>('SELECT count(*) AS n FROM mcp_oauth_pending WHERE kind = ?', [this.o.kind]);
    const over = Number(n) - this.o.max + 1;
    if (over > 0) {
      await this.db.run('DELETE FROM mcp_oauth_pending WHERE id_hash IN (SELECT id_hash FROM mcp_oauth_pending WHERE kind = ? ORDER BY created_at LIMIT ?)', [
        this.o.kind,
        over,
      ]);
    }
    const key = randomBytes(24).toString('base64url');
    await this.db.run('INSERT INTO mcp_oauth_pending (id_hash, kind, value, created_at, expires_at) VALUES (?, ?, ?, ?::TIMESTAMP, ?::TIMESTAMP)', [
      sha256(key),
      this.o.kind,
      JSON.stringify(value),
      now.toISOString(),
      new Date(now.getTime() + this.o.ttlMs).toISOString(),
    ]);
    return key;
  }

  async get(key: string): Promise<T | undefined> {
    const [row] = await this.db.all<{ value: string }>('SELECT value FROM mcp_oauth_pending WHERE id_hash = ? AND kind = ? AND expires_at > ?::TIMESTAMP', [
      sha256(key),
      this.o.kind,
      new Date().toISOString(),
    ]);
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  /** Removes and returns the entry in one statement: of two hosts taking it at once, one gets it. What makes a code single use. */
  async take(key: string): Promise<T | undefined> {
    const [row] = await this.db.all<{ value: string }>(
      'DELETE FROM mcp_oauth_pending WHERE id_hash = ? AND kind = ? AND expires_at > ?::TIMESTAMP RETURNING value',
      [sha256(key), this.o.kind, new Date().toISOString()],
    );
    return row ? (JSON.parse(row.value) as T) : undefined;
  }
}
