import { createHmac, createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ROLES, type Role } from '@aida/core';
import { TokenExpiredError, TokenInvalidError } from '../errors.js';

export type TokenType = 'session' | 'pat';

export interface Claims {
  sub: string;
  email: string;
  role: Role;
  typ: TokenType;
  jti: string;
  iat: number;
  exp?: number;
}

/** Signs and verifies AIDA's JWTs (HS256 only: `alg: none` and other algorithms are refused). */
export class SessionTokens {
  /** A KeyObject made once: given a string, jsonwebtoken re-derives (and first tries to parse as a public key) on every call. */
  private readonly secret: KeyObject;

  constructor(secret: string) {
    this.secret = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  sign(
    subject: { id: string; email: string; role: Role },
    typ: TokenType,
    opts: { expiresInSeconds: number | null; jti?: string },
  ): { token: string; jti: string; expiresAt: Date | null } {
    const jti = opts.jti ?? randomUUID();
    const payload = { sub: subject.id, email: subject.email, role: subject.role, typ, jti };
    const token = jwt.sign(payload, this.secret, {
      algorithm: 'HS256',
      ...(opts.expiresInSeconds === null ? {} : { expiresIn: opts.expiresInSeconds }),
    });
    const exp = (jwt.decode(token) as { exp?: number }).exp;
    return { token, jti, expiresAt: exp ? new Date(exp * 1000) : null };
  }

  /**
   * An HMAC of `value` under the signing secret, for values the host derives from a session
   * (the portal's CSRF token) without storing them; the secret itself never leaves this class.
   */
  mac(purpose: string, value: string): string {
    return createHmac('sha256', this.secret).update(`${purpose}\0${value}`).digest('base64url');
  }

  verify(token: string): Claims {
    let decoded: unknown;
    try {
      decoded = jwt.verify(token, this.secret, { algorithms: ['HS256'] });
    } catch (e) {
      const expired = (e as Error).name === 'TokenExpiredError';
      throw expired ? new TokenExpiredError('Your session has expired; sign in again') : new TokenInvalidError('Invalid token');
    }
    const c = decoded as Partial<Claims>;
    if (typeof c.sub !== 'string' || typeof c.jti !== 'string' || (c.typ !== 'session' && c.typ !== 'pat') || !ROLES.includes(c.role as Role)) {
      throw new TokenInvalidError('Invalid token');
    }
    return c as Claims;
  }
}
