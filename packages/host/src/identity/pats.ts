import { InputError, NotFoundError } from '@aida/core';
import { TokenExpiredError, TokenInvalidError, TokenRevokedError } from '../errors.js';
import { LocalChanges, reloadOnChange, type StateChanges } from '../state/changes.js';
import type { SystemDb } from '../state/system-db.js';
import { safeEqual, sha256 } from './secrets.js';

export interface PatRecord {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  token_hash: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  last_used_ip: string | null;
}

export const MAX_PAT_DAYS = 3650;

/**
 * Personal access tokens. The token itself is a JWT (`typ: pat`, `jti` = id) shown once; only
 * its SHA-256 is stored. Held in memory like users, because every request may present one.
 * Last-use time and IP are written in batches, not per request. Creating or revoking one is
 * announced to the other hosts (`changes`), which reload it: a token revoked on one host is
 * refused by all of them as soon as they hear it.
 */
export class PatRepository {
  private readonly byId = new Map<string, PatRecord>();
  private readonly lastUse = new Map<string, { at: Date; ip: string }>();

  constructor(
    private readonly db: SystemDb,
    private readonly changes: StateChanges = new LocalChanges(),
  ) {
    reloadOnChange(changes, 'pats', { one: async (id) => void (await this.reload(id)), all: () => this.load() });
  }

  async load(): Promise<void> {
    const rows = await this.db.all<PatRecord>('SELECT * FROM personal_access_tokens');
    // Swapped in one step: a request meanwhile sees the old tokens, never none.
    this.byId.clear();
    for (const p of rows) this.byId.set(p.id, p);
  }

  /** Reads one token again (another host created or revoked it); returns it, or undefined when there is none. */
  async reload(id: string): Promise<PatRecord | undefined> {
    const [p] = await this.db.all<PatRecord>('SELECT * FROM personal_access_tokens WHERE id = ?', [id]);
    if (p) this.byId.set(p.id, p);
    else this.byId.delete(id);
    return p;
  }

  /** Whether this host holds the token (it may have been created on another host a moment ago). */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  static expiryFrom(days: unknown): number | null {
    if (days === null) return null;
    const d = days === undefined ? 90 : days;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > MAX_PAT_DAYS) {
      throw new InputError(`expires_in_days must be a whole number from 1 to ${MAX_PAT_DAYS}, or null for a token that never expires`);
    }
    return d;
  }

  async create(rec: Omit<PatRecord, 'last_used_at' | 'last_used_ip' | 'revoked_at' | 'created_at'>): Promise<PatRecord> {
    const full: PatRecord = { ...rec, created_at: new Date(), revoked_at: null, last_used_at: null, last_used_ip: null };
    await this.db.run(
      'INSERT INTO personal_access_tokens (id, user_id, name, prefix, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?::TIMESTAMP, ?::TIMESTAMP)',
      [full.id, full.user_id, full.name, full.prefix, full.token_hash, full.created_at.toISOString(), full.expires_at?.toISOString() ?? null],
    );
    this.byId.set(full.id, full);
    this.changes.publish({ topic: 'pats', key: full.id });
    return full;
  }

  /** Checks a presented PAT against its stored hash, expiry and revocation; records its use. */
  check(id: string, token: string, ip: string): PatRecord {
    const p = this.byId.get(id);
    if (!p || !safeEqual(p.token_hash, sha256(token))) throw new TokenInvalidError('Invalid token');
    if (p.revoked_at) throw new TokenRevokedError('This token has been revoked');
    if (p.expires_at && p.expires_at.getTime() <= Date.now()) throw new TokenExpiredError('This token has expired');
    const at = new Date();
    p.last_used_at = at;
    p.last_used_ip = ip;
    this.lastUse.set(id, { at, ip });
    return p;
  }

  list(userId?: string): PatRecord[] {
    return [...this.byId.values()].filter((p) => !userId || p.user_id === userId).sort((a, b) => b.created_at.getTime() - a.created_at.getTime());
  }

  get(id: string, userId?: string): PatRecord {
    const p = this.byId.get(id);
    if (!p || (userId && p.user_id !== userId)) throw new NotFoundError(`No token with id ${id}`);
    return p;
  }

  async revoke(id: string, userId?: string): Promise<void> {
    const p = this.get(id, userId);
    if (p.revoked_at) return;
    const at = new Date();
    await this.db.run('UPDATE personal_access_tokens SET revoked_at = ?::TIMESTAMP WHERE id = ?', [at.toISOString(), id]);
    p.revoked_at = at;
    this.changes.publish({ topic: 'pats', key: id });
  }

  /** Writes pending last-use times; called on a timer and at shutdown. */
  async flushUsage(): Promise<void> {
    if (!this.lastUse.size) return;
    const batch = [...this.lastUse.entries()];
    this.lastUse.clear();
    await this.db.transaction(async (tx) => {
      for (const [id, u] of batch)
        await tx.run('UPDATE personal_access_tokens SET last_used_at = ?::TIMESTAMP, last_used_ip = ? WHERE id = ?', [u.at.toISOString(), u.ip, id]);
    });
  }
}

export function patJson(p: PatRecord) {
  return {
    id: p.id,
    name: p.name,
    prefix: p.prefix,
    user_id: p.user_id,
    created_at: p.created_at,
    expires_at: p.expires_at,
    revoked_at: p.revoked_at,
    last_used_at: p.last_used_at,
    last_used_ip: p.last_used_ip,
    status: p.revoked_at ? 'revoked' : p.expires_at && p.expires_at.getTime() <= Date.now() ? 'expired' : 'active',
  };
}
