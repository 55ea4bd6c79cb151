// The host's side of the MCP SDK's OAuth 2.1 authorization server: the SDK's handlers speak the
// protocol (parameter checks, PKCE S256 verification, client authentication, error answers);
// this provider decides what they need decided — where the person consents, which codes and
// tokens exist, who they belong to — with the state in OAuthStore.
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Response } from 'express';
import type { Logger } from 'pino';
import type { AuthorizationParams, OAuthServerProvider } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import {
  InvalidClientMetadataError,
  InvalidGrantError,
  InvalidScopeError,
  InvalidTargetError,
  InvalidTokenError,
  OAuthError,
} from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthClientInformationFull, OAuthTokenRevocationRequest, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { UnknownUserError, UserDeactivatedError, isAidaError } from '@aida/core';
import { TokenExpiredError, TokenInvalidError, TokenRevokedError } from '../errors.js';
import type { SessionTokens } from '../identity/session-tokens.js';
import type { UserRecord, UsersRepository } from '../identity/users.js';
import type { SystemDb } from '../state/system-db.js';
import { ExpiringRows, type IssuedCode, type PendingAuthorization } from './pending.js';
import type { OAuthClientRecord, OAuthGrant, OAuthStore, OAuthToken } from './store.js';

/** The one scope: use AIDA's MCP tools as the person who consented. */
export const MCP_SCOPE = 'mcp';
/** Access tokens start with this, so /mcp knows where to look one up (and other routes refuse it as no JWT). */
export const ACCESS_TOKEN_PREFIX = 'aida_mcp_at_';
const REFRESH_TOKEN_PREFIX = 'aida_mcp_rt_';
/** An access token as `issue` makes them (32 random bytes): only such a text is worth a database lookup. */
const WELL_FORMED_ACCESS_TOKEN = new RegExp(`^${ACCESS_TOKEN_PREFIX}[A-Za-z0-9_-]{43}$`);
const PENDING_TTL_MS = 10 * 60_000;
const CODE_TTL_MS = 60_000;

/** Where the request came in: its mount prefix and the /mcp resource URL the tokens are for. */
export interface RequestPlace {
  prefix: string;
  resource: string;
}

/** Set by the Koa glue for each request it hands the SDK's handlers (they see only Node's req/res). */
export const requestPlaces = new WeakMap<IncomingMessage, RequestPlace>();

export interface OAuthProviderOptions {
  store: OAuthStore;
  /** Where the authorizations waiting for consent and the codes are kept (any host may take the next step). */
  db: SystemDb;
  users: UsersRepository;
  /** Derives confidential clients' secrets, so none is stored. */
  tokens: SessionTokens;
  accessTtlMs: number;
  refreshTtlMs: number;
  logger: Logger;
}

/** Who an access token acts for. */
export interface AccessTokenOwner {
  user: UserRecord;
  grant: OAuthGrant;
  clientId: string;
  expiresAt: Date;
}

export class AidaOAuthProvider implements OAuthServerProvider {
  readonly pending: ExpiringRows<PendingAuthorization>;
  private readonly codes: ExpiringRows<IssuedCode>;
  readonly clientsStore: OAuthRegisteredClientsStore;

  constructor(private readonly o: OAuthProviderOptions) {
    this.pending = new ExpiringRows(o.db, { kind: 'consent', ttlMs: PENDING_TTL_MS, max: 1000 });
    this.codes = new ExpiringRows(o.db, { kind: 'code', ttlMs: CODE_TTL_MS, max: 1000 });
    this.clientsStore = {
      getClient: async (id) => this.clientInfo(await this.o.store.findClient(id)),
      registerClient: (client) => this.guard(() => this.register(client)),
    };
  }

  /** A registered client as the SDK's handlers see it; revoked ones do not exist for them. */
  private clientInfo(rec: OAuthClientRecord | undefined): OAuthClientInformationFull | undefined {
    if (!rec || rec.revoked_at) return undefined;
    const confidential = rec.metadata.token_endpoint_auth_method !== 'none';
    return {
      ...(rec.metadata as Omit<OAuthClientInformationFull, 'client_id'>),
      client_id: rec.client_id,
      client_id_issued_at: Math.floor(rec.created_at.getTime() / 1000),
      ...(confidential ? { client_secret: this.secretOf(rec.client_id), client_secret_expires_at: 0 } : {}),
    };
  }

  /**
   * The SDK validated the metadata and generated an id; here redirect URIs are held to OAuth
   * 2.1 (https, or http on loopback for native apps, or an app's own scheme) and the methods to
   * what this server supports.
   */
  private async register(client: Omit<OAuthClientInformationFull, 'client_id' | 'client_id_issued_at'>): Promise<OAuthClientInformationFull> {
    for (const uri of client.redirect_uris) {
      const u = new URL(uri);
      if (u.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(u.hostname)) {
        throw new InvalidClientMetadataError(`redirect_uri ${uri}: use https (http only on localhost)`);
      }
      if (u.hash) throw new InvalidClientMetadataError(`redirect_uri ${uri}: must not have a fragment`);
    }
    const {
      client_id,
      client_id_issued_at: _issued,
      client_secret: _secret,
      client_secret_expires_at: _expiry,
      ...rest
    } = client as Partial<OAuthClientInformationFull>;
    const clientId = client_id ?? randomUUID();
    const metadata = {
      ...rest,
      // Only these two exist here: a client asking for another gets the one that works (RFC 7591 lets the server choose).
      token_endpoint_auth_method: client.token_endpoint_auth_method === 'none' ? 'none' : 'client_secret_post',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: MCP_SCOPE,
    };
    const rec = await this.o.store.addClient(clientId, JSON.parse(JSON.stringify(metadata)) as Record<string, unknown>);
    this.o.logger.info({ client_id: rec.client_id, client_name: rec.client_name }, 'an MCP client registered');
    return this.clientInfo(rec)!;
  }

  /** Sends the browser to the consent page with the validated request waiting for it. */
  async authorize(client: OAuthClientInformationFull, params: AuthorizationParams, res: Response): Promise<void> {
    const place = requestPlaces.get(res.req);
    const scopes = params.scopes?.length ? params.scopes : [MCP_SCOPE];
    const unknown = scopes.filter((s) => s !== MCP_SCOPE);
    if (unknown.length) throw new InvalidScopeError(`Unknown scope ${unknown.join(' ')}: this server grants only '${MCP_SCOPE}'`);
    const resource = params.resource ? sameResource(params.resource.href, place) : null;
    const id = await this.pending.add({
      clientId: client.client_id,
      redirectUri: params.redirectUri,
      codeChallenge: params.codeChallenge,
      state: params.state,
      scopes,
      resource,
    });
    res.redirect(302, `${place?.prefix ?? ''}/oauth/consent?request=${encodeURIComponent(id)}`);
  }

  /** The person approved on the consent page: their grant to the client, and a code for it. */
  async approve(pending: PendingAuthorization, userId: string): Promise<string> {
    const grant = await this.o.store.grantFor(pending.clientId, userId, pending.scopes, pending.resource);
    return await this.codes.add({ clientId: pending.clientId, grantId: grant.id, redirectUri: pending.redirectUri, codeChallenge: pending.codeChallenge });
  }

  async challengeForAuthorizationCode(client: OAuthClientInformationFull, code: string): Promise<string> {
    const issued = await this.codes.get(code);
    if (!issued || issued.clientId !== client.client_id) throw new InvalidGrantError('The authorization code is invalid, expired or already used');
    return issued.codeChallenge;
  }

  /** Called once the SDK checked the PKCE verifier against the code's challenge. */
  exchangeAuthorizationCode(client: OAuthClientInformationFull, code: string, _verifier?: string, redirectUri?: string): Promise<OAuthTokens> {
    return this.guard(async () => {
      const issued = await this.codes.take(code);
      if (!issued || issued.clientId !== client.client_id) throw new InvalidGrantError('The authorization code is invalid, expired or already used');
      if (redirectUri !== undefined && redirectUri !== issued.redirectUri) throw new InvalidGrantError('redirect_uri differs from the authorization request');
      const grant = await this.liveGrant(issued.grantId, client.client_id);
      return (await this.issue(grant))!;
    });
  }

  /**
   * Refresh tokens rotate: each is exchanged once for a new pair. One presented a second time
   * was copied (OAuth 2.1 §4.3.1): the whole grant is revoked, so neither copy works on.
   */
  exchangeRefreshToken(client: OAuthClientInformationFull, refreshToken: string, scopes?: string[]): Promise<OAuthTokens> {
    return this.guard(async () => {
      // As the database has it now: another host may have exchanged it a moment ago.
      const t = await this.o.store.findToken(refreshToken);
      if (!t || t.kind !== 'refresh') throw new InvalidGrantError('The refresh token is invalid or revoked');
      const grant = await this.liveGrant(t.grant_id, client.client_id);
      if (t.rotated_at) return this.replayed(grant);
      if (t.expires_at.getTime() <= Date.now()) throw new InvalidGrantError('The refresh token has expired: connect again');
      const extra = (scopes ?? []).filter((s) => !grant.scopes.includes(s));
      if (extra.length) throw new InvalidScopeError(`The grant does not include ${extra.join(' ')}`);
      return (await this.issue(grant, t)) ?? this.replayed(grant);
    });
  }

  private async replayed(grant: OAuthGrant): Promise<never> {
    await this.o.store.revokeGrant(grant.id);
    this.o.logger.warn({ client_id: grant.client_id, user_id: grant.user_id }, 'a rotated MCP refresh token was used again; the grant is revoked');
    throw new InvalidGrantError('This refresh token was already used; the connection is revoked: connect again');
  }

  /** RFC 7009: revoking either token of a grant ends the grant (the agent must be connected again). Unknown tokens are ignored. */
  async revokeToken(client: OAuthClientInformationFull, request: OAuthTokenRevocationRequest): Promise<void> {
    const t = await this.o.store.findToken(request.token);
    const grant = t && this.o.store.grant(t.grant_id);
    if (grant && grant.client_id === client.client_id) await this.o.store.revokeGrant(grant.id);
  }

  async verifyAccessToken(token: string): Promise<AuthInfo> {
    try {
      const owner = await this.owner(token);
      return { token, clientId: owner.clientId, scopes: owner.grant.scopes, expiresAt: Math.floor(owner.expiresAt.getTime() / 1000) };
    } catch (e) {
      throw new InvalidTokenError(e instanceof Error ? e.message : 'Invalid token');
    }
  }

  /**
   * The user an access token acts for, or the AIDA 401 that says why it does not work. A token
   * this host does not hold (issued on another host a moment ago) is looked up in the database,
   * if it has the shape of one: garbage costs no query.
   */
  async owner(token: string): Promise<AccessTokenOwner> {
    let t: OAuthToken | undefined = this.o.store.token(token);
    if (!t && WELL_FORMED_ACCESS_TOKEN.test(token)) t = await this.o.store.findToken(token);
    if (!t || t.kind !== 'access') throw new TokenInvalidError('Invalid token');
    if (t.expires_at.getTime() <= Date.now()) throw new TokenExpiredError('This access token has expired; refresh it');
    const grant = this.o.store.grant(t.grant_id);
    const client = grant && this.o.store.client(grant.client_id);
    if (!grant || grant.revoked_at || !client || client.revoked_at) throw new TokenRevokedError('This connection has been revoked; connect again');
    const user = this.o.users.get(grant.user_id);
    if (!user) throw new UnknownUserError('Unknown user');
    if (!user.active) throw new UserDeactivatedError('This account is deactivated');
    this.o.store.touch(grant);
    return { user, grant, clientId: client.client_id, expiresAt: t.expires_at };
  }

  private async liveGrant(grantId: string, clientId: string): Promise<OAuthGrant> {
    const grant = await this.o.store.findGrant(grantId);
    if (!grant || grant.revoked_at || grant.client_id !== clientId) throw new InvalidGrantError('The grant is revoked: connect again');
    const user = this.o.users.get(grant.user_id);
    if (!user?.active) throw new InvalidGrantError('The account that granted access is deactivated');
    return grant;
  }

  /** A new token pair; undefined when `rotated` was exchanged meanwhile (on another host). */
  private async issue(grant: OAuthGrant, rotated?: OAuthToken): Promise<OAuthTokens | undefined> {
    const access = `${ACCESS_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const refresh = `${REFRESH_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const now = Date.now();
    const stored = await this.o.store.addTokens(
      grant,
      [
        { token: access, kind: 'access', expiresAt: new Date(now + this.o.accessTtlMs) },
        { token: refresh, kind: 'refresh', expiresAt: new Date(now + this.o.refreshTtlMs) },
      ],
      rotated,
    );
    if (!stored) return undefined;
    return {
      access_token: access,
      token_type: 'Bearer',
      expires_in: Math.floor(this.o.accessTtlMs / 1000),
      refresh_token: refresh,
      scope: grant.scopes.join(' '),
    };
  }

  private secretOf(clientId: string): string {
    return this.o.tokens.mac('mcp-oauth-client-secret', clientId);
  }

  /** OAuth errors go to the SDK as they are; anything else is logged here (the SDK answers it as a bare server_error). */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof OAuthError) && !isAidaError(e)) this.o.logger.error({ err: e }, 'the MCP OAuth provider failed');
      throw e;
    }
  }
}

/** RFC 8707: a token may be asked for this server's /mcp only. */
function sameResource(requested: string, place: RequestPlace | undefined): string {
  const norm = (u: string) => u.replace(/\/+$/, '');
  if (!place || norm(requested) !== norm(place.resource)) throw new InvalidTargetError(`This server issues tokens for ${place?.resource ?? 'its /mcp'} only`);
  return place.resource;
}
