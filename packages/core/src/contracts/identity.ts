import type { Context } from 'koa';
import type { VerifiedIdentity } from './auth-provider.js';
import type { Role } from './routes.js';

/** A user as plugins see them. */
export interface UserSummary {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  active: boolean;
}

/** The session the host issued for a sign-in (the shape of `POST /auth/token`). */
export interface IssuedSession {
  access_token: string;
  token_type: 'bearer';
  user_id: string;
  email: string;
  role: Role;
  expires_at: string;
}

/**
 * Turns an identity a provider verified into a session. Only the host signs sessions:
 * providers check credentials, the host decides whether the user may enter.
 */
export interface SessionIssuer {
  /**
   * Finds the user by email (creating it when the identity allows), refuses deactivated or
   * unknown users with an AuthenticationError, and returns a signed session.
   */
  signIn(identity: VerifiedIdentity): Promise<IssuedSession>;
  /** Puts the session in the `access_token` cookie (HttpOnly, SameSite=Lax, Secure behind HTTPS). */
  setSessionCookie(ctx: Context, session: IssuedSession): void;
}

/** Single-use, expiring secrets (magic links, invites, password resets), stored hashed. */
export interface OneTimeTokens {
  /** Returns a fresh secret for `subject`; older unused ones for the same purpose and subject stop working. */
  issue(purpose: string, subject: string, ttlMs: number): Promise<string>;
  /** True once for a valid, unexpired secret; false for anything else. Constant-time comparison. */
  consume(purpose: string, subject: string, secret: string): Promise<boolean>;
}

/**
 * Read access to users, e.g. to send a magic link only to someone who has an account, or to
 * name the people in a history (which stores ids: a user may be renamed or deleted since).
 */
export interface UserDirectory {
  findByEmail(email: string): Promise<UserSummary | null>;
  /** The user with that id; null when there is none (never was, or deleted since). */
  findById(id: string): Promise<UserSummary | null>;
  /** The users of `ids` that exist, by id, in one call (a page's actors); ids with no user are absent from the map. */
  findByIds(ids: readonly string[]): Promise<Map<string, UserSummary>>;
}

/** Sliding-window limits shared by every sign-in route (per IP and per account). */
export interface RateLimits {
  /**
   * Counts one attempt for each key; throws RateLimitedError (429 with Retry-After) when any
   * key is over its limit. Keys look like `ip:1.2.3.4` or `account:ada@example.com`.
   */
  hit(bucket: string, keys: readonly string[]): void;
}
