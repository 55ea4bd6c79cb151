import {
  AuthenticationError,
  UnknownUserError,
  UserDeactivatedError,
  type IssuedSession,
  type RequestUser,
  type SessionIssuer,
  type VerifiedIdentity,
} from '@aida/core';
import type { Context, Middleware } from 'koa';
import { TokenInvalidError } from '../errors.js';
import type { PatRepository } from './pats.js';
import type { SessionTokens } from './session-tokens.js';
import type { UserRecord, UsersRepository } from './users.js';

export interface SessionOptions {
  /** Session lifetime in seconds (default 24 h). */
  lifetimeSeconds: number;
}

/** Issues sessions for identities providers verified; the one place a session JWT is signed. */
export class HostSessionIssuer implements SessionIssuer {
  constructor(
    private readonly users: UsersRepository,
    private readonly tokens: SessionTokens,
    private readonly opts: SessionOptions,
  ) {}

  async signIn(identity: VerifiedIdentity): Promise<IssuedSession> {
    let user = await this.users.byEmailFresh(identity.email);
    if (!user && identity.createIfMissing) {
      user = await this.users.create({ email: identity.email, name: identity.name ?? null, role: identity.createIfMissing.role });
    }
    if (!user) throw new UnknownUserError('No account for this identity; ask an admin to invite you');
    return this.sessionFor(user);
  }

  sessionFor(user: UserRecord): IssuedSession {
    if (!user.active) throw new UserDeactivatedError('This account is deactivated');
    const { token, expiresAt } = this.tokens.sign(user, 'session', { expiresInSeconds: this.opts.lifetimeSeconds });
    return { access_token: token, token_type: 'bearer', user_id: user.id, email: user.email, role: user.role, expires_at: expiresAt!.toISOString() };
  }

  setSessionCookie(ctx: Context, session: IssuedSession): void {
    ctx.cookies.set('access_token', session.access_token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: ctx.secure,
      expires: new Date(session.expires_at),
      overwrite: true,
    });
  }
}

/**
 * The caller a session JWT or PAT stands for, checked against the users and tokens in memory
 * (so a deactivated user or a revoked token fails at once). Throws an AuthenticationError.
 * Every request is checked with it, and so is each WebSocket of the gateway (packages/host/src/ws).
 */
export function verifyBearer(raw: string, ip: string, users: UsersRepository, pats: PatRepository, tokens: SessionTokens): RequestUser {
  const claims = tokens.verify(raw);
  if (claims.typ === 'pat') pats.check(claims.jti, raw, ip);
  const user = users.get(claims.sub);
  if (!user) throw new UnknownUserError('Unknown user');
  if (!user.active) throw new UserDeactivatedError('This account is deactivated');
  // The role comes from the user record, not the token, so a demotion applies at once.
  return { id: user.id, email: user.email, role: user.role, tokenType: claims.typ, tokenId: claims.jti };
}

/**
 * verifyBearer, once more after reading the token's PAT and user from the database when this
 * host does not hold them: ones created through another host a moment ago, whose change has
 * not arrived yet. Only a token with a valid signature gets that far, so nobody can make the
 * host query for made-up ones.
 */
export async function verifyBearerFresh(raw: string, ip: string, users: UsersRepository, pats: PatRepository, tokens: SessionTokens): Promise<RequestUser> {
  try {
    return verifyBearer(raw, ip, users, pats, tokens);
  } catch (e) {
    if (!(e instanceof TokenInvalidError || e instanceof UnknownUserError)) throw e;
    const claims = tokens.verify(raw);
    const missingPat = claims.typ === 'pat' && !pats.has(claims.jti);
    const missingUser = !users.get(claims.sub);
    if (!missingPat && !missingUser) throw e;
    await Promise.all([missingPat ? pats.reload(claims.jti) : undefined, missingUser ? users.reload(claims.sub) : undefined]);
    return verifyBearer(raw, ip, users, pats, tokens);
  }
}

/**
 * Reads the Bearer header or the `access_token` cookie. A valid token of an active user sets
 * `ctx.state.user`; anything else leaves the request anonymous, and the route's guard decides
 * (401 for every non-public route). A deactivated user or revoked token is rejected at once,
 * because users and tokens are checked against memory on every request.
 */
export function authenticate(users: UsersRepository, pats: PatRepository, tokens: SessionTokens): Middleware {
  return async (ctx, next) => {
    const header = ctx.get('authorization');
    const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const raw = bearer ?? ctx.cookies.get('access_token');
    if (raw) {
      try {
        ctx.state.user = await verifyBearerFresh(raw, ctx.ip, users, pats, tokens);
      } catch (e) {
        if (!(e instanceof AuthenticationError)) throw e;
        ctx.state.authError = e;
      }
    }
    await next();
  };
}
