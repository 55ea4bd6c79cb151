import type { OneTimeTokens } from '@aida/core';
import type { SystemDb } from '../state/system-db.js';
import { randomSecret, safeEqual, sha256 } from './secrets.js';

/** Single-use expiring secrets in `one_time_tokens`; a new one for the same purpose and subject replaces the old. */
export class DbOneTimeTokens implements OneTimeTokens {
  constructor(private readonly db: SystemDb) {}

  async issue(purpose: string, subject: string, ttlMs: number): Promise<string> {
    const secret = randomSecret(32);
    await this.db.run(
      `INSERT INTO one_time_tokens (purpose, subject, token_hash, expires_at, used_at, created_at)
       VALUES (?, ?, ?, ?::TIMESTAMP, NULL, current_timestamp)
       ON CONFLICT (purpose, subject) DO UPDATE SET
         token_hash = excluded.token_hash, expires_at = excluded.expires_at, used_at = NULL, created_at = excluded.created_at`,
      [purpose, subject.toLowerCase(), sha256(secret), new Date(Date.now() + ttlMs).toISOString()],
    );
    return secret;
  }

  /**
   * What `consume` would say, without using the secret up, and why not: `used` and `expired`
   * only for whoever holds the right secret; anything else (a wrong secret, a link replaced by
   * a newer one) is `unknown`, so nobody learns about other people's links.
   */
  async check(purpose: string, subject: string, secret: string): Promise<'valid' | 'used' | 'expired' | 'unknown'> {
    if (typeof secret !== 'string' || !secret) return 'unknown';
    const [row] = await this.db.all<{ token_hash: string; expires_at: Date; used_at: Date | null }>(
      'SELECT token_hash, expires_at, used_at FROM one_time_tokens WHERE purpose = ? AND subject = ?',
      [purpose, String(subject).toLowerCase()],
    );
    if (!row || !safeEqual(row.token_hash, sha256(secret))) return 'unknown';
    if (row.used_at) return 'used';
    return row.expires_at.getTime() > Date.now() ? 'valid' : 'expired';
  }

  async consume(purpose: string, subject: string, secret: string): Promise<boolean> {
    if (typeof secret !== 'string' || !secret) return false;
    return this.db.transaction(async (tx) => {
      const [row] = await tx.all<{ token_hash: string; expires_at: Date; used_at: Date | null }>(
        'SELECT token_hash, expires_at, used_at FROM one_time_tokens WHERE purpose = ? AND subject = ?',
        [purpose, String(subject).toLowerCase()],
      );
      const ok = Boolean(row) && safeEqual(row.token_hash, sha256(secret)) && !row.used_at && row.expires_at.getTime() > Date.now();
      if (ok)
        await tx.run('UPDATE one_time_tokens SET used_at = current_timestamp WHERE purpose = ? AND subject = ?', [purpose, String(subject).toLowerCase()]);
      return ok;
    });
  }
}
