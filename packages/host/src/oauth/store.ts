// The MCP OAuth state in the system database: registered clients, grants (one person's consent
// to one client) and their tokens. Held in memory too, because /mcp checks an access token on
// every request; written through on every change. Tokens are stored as SHA-256 digests only.
// A change is announced to the other hosts (`client:<id>` or `grant:<id>`, a grant with its
// tokens), which reload what it names. An agent may reach another host before the announcement
// does (no sticky routing): what a host does not hold yet it reads from the database (`find…`).
import { randomUUID } from 'node:crypto';
import { LocalChanges, reloadOnChange, type StateChanges } from '../state/changes.js';
import type { SystemDb } from '../state/system-db.js';
import { sha256 } from '../identity/secrets.js';

/** A registered client: what it sent to the registration endpoint (RFC 7591), without any secret. */
export interface OAuthClientRecord {
  client_id: string;
  client_name: string | null;
  metadata: Record<string, unknown>;
  created_at: Date;
  revoked_at: Date | null;
  revoked_by: string | null;
}

/** One person's consent to one client; revoking it ends every token issued under it. */
export interface OAuthGrant {
  id: string;
  client_id: string;
  user_id: string;
  scopes: string[];
  resource: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export type TokenKind = 'access' | 'refresh';

export interface OAuthToken {
  token_hash: string;
  grant_id: string;
  kind: TokenKind;
  created_at: Date;
  expires_at: Date;
  /** A refresh token that was exchanged once: presenting it again is a replay. */
  rotated_at: Date | null;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

type ClientRow = Omit<OAuthClientRecord, 'metadata'> & { metadata: string };
type GrantRow = Omit<OAuthGrant, 'scopes'> & { scopes: string };

const clientOf = (c: ClientRow): OAuthClientRecord => ({ ...c, metadata: JSON.parse(c.metadata) as Record<string, unknown> });
const grantOf = (g: GrantRow): OAuthGrant => ({ ...g, scopes: g.scopes.split(' ').filter(Boolean) });

export class OAuthStore {
  private readonly clients = new Map<string, OAuthClientRecord>();
  private readonly grants = new Map<string, OAuthGrant>();
  private readonly tokens = new Map<string, OAuthToken>();

  constructor(
    private readonly db: SystemDb,
    private readonly changes: StateChanges = new LocalChanges(),
  ) {
    reloadOnChange(changes, 'oauth', { one: (key) => this.reload(key), all: () => this.load() });
  }

  static async open(db: SystemDb, changes?: StateChanges): Promise<OAuthStore> {
    const store = new OAuthStore(db, changes);
    await store.load();
    return store;
  }

  /** Reads everything still useful; tokens past their expiry are deleted on the way. */
  async load(): Promise<void> {
    await this.db.run('DELETE FROM mcp_oauth_tokens WHERE expires_at < ?::TIMESTAMP', [new Date().toISOString()]);
    const clients = await this.db.all<ClientRow>('SELECT * FROM mcp_oauth_clients');
    const grants = await this.db.all<GrantRow>('SELECT * FROM mcp_oauth_grants');
    const tokens = await this.db.all<OAuthToken>('SELECT * FROM mcp_oauth_tokens');
    // Swapped in one step: a request meanwhile sees the old state, never none.
    this.clients.clear();
    this.grants.clear();
    this.tokens.clear();
    for (const c of clients) this.clients.set(c.client_id, clientOf(c));
    for (const g of grants) this.grants.set(g.id, grantOf(g));
    for (const t of tokens) this.tokens.set(t.token_hash, t);
  }

  /** Reads again what another host changed: `client:<id>`, or `grant:<id>` with the grant's tokens. */
  private async reload(key: string): Promise<void> {
    const [kind, id] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    if (kind === 'client') {
      const [c] = await this.db.all<ClientRow>('SELECT * FROM mcp_oauth_clients WHERE client_id = ?', [id]);
      if (c) this.clients.set(id, clientOf(c));
      else this.clients.delete(id);
    } else if (kind === 'grant') {
      const [g] = await this.db.all<GrantRow>('SELECT * FROM mcp_oauth_grants WHERE id = ?', [id]);
      const tokens = await this.db.all<OAuthToken>('SELECT * FROM mcp_oauth_tokens WHERE grant_id = ?', [id]);
      if (g) this.grants.set(id, grantOf(g));
      else this.grants.delete(id);
      for (const [hash, t] of this.tokens) if (t.grant_id === id) this.tokens.delete(hash);
      for (const t of tokens) this.tokens.set(t.token_hash, t);
    }
  }

  client(clientId: string): OAuthClientRecord | undefined {
    return this.clients.get(clientId);
  }

  /** The client, read from the database when this host has not heard of it yet (registered on another one a moment ago). */
  async findClient(clientId: string): Promise<OAuthClientRecord | undefined> {
    const known = this.clients.get(clientId);
    if (known) return known;
    await this.reload(`client:${clientId}`);
    return this.clients.get(clientId);
  }

  listClients(): OAuthClientRecord[] {
    return [...this.clients.values()].sort((a, b) => b.created_at.getTime() - a.created_at.getTime());
  }

  async addClient(clientId: string, metadata: Record<string, unknown>): Promise<OAuthClientRecord> {
    const name = typeof metadata.client_name === 'string' ? metadata.client_name.slice(0, 200) : null;
    const rec: OAuthClientRecord = { client_id: clientId, client_name: name, metadata, created_at: new Date(), revoked_at: null, revoked_by: null };
    await this.db.run('INSERT INTO mcp_oauth_clients (client_id, client_name, metadata, created_at) VALUES (?, ?, ?, ?::TIMESTAMP)', [
      rec.client_id,
      rec.client_name,
      JSON.stringify(metadata),
      rec.created_at.toISOString(),
    ]);
    this.clients.set(clientId, rec);
    this.changes.publish({ topic: 'oauth', key: `client:${clientId}` });
    return rec;
  }

  /** Revokes a client and, with it, every grant and token it holds. */
  async revokeClient(clientId: string, by: string | null): Promise<void> {
    const c = this.clients.get(clientId);
    if (!c || c.revoked_at) return;
    const at = new Date();
    await this.db.run('UPDATE mcp_oauth_clients SET revoked_at = ?::TIMESTAMP, revoked_by = ? WHERE client_id = ?', [at.toISOString(), by, clientId]);
    c.revoked_at = at;
    c.revoked_by = by;
    this.changes.publish({ topic: 'oauth', key: `client:${clientId}` });
    for (const g of this.grants.values()) if (g.client_id === clientId && !g.revoked_at) await this.revokeGrant(g.id);
  }

  grant(id: string): OAuthGrant | undefined {
    return this.grants.get(id);
  }

  /** The grant, read from the database (with its tokens) when this host has not heard of it yet. */
  async findGrant(id: string): Promise<OAuthGrant | undefined> {
    const known = this.grants.get(id);
    if (known) return known;
    await this.reload(`grant:${id}`);
    return this.grants.get(id);
  }

  grantsOf(clientId: string): OAuthGrant[] {
    return [...this.grants.values()].filter((g) => g.client_id === clientId);
  }

  /** The person's live grant to the client, or a new one: consenting again reuses it. */
  async grantFor(clientId: string, userId: string, scopes: string[], resource: string | null): Promise<OAuthGrant> {
    const live = [...this.grants.values()].find((g) => g.client_id === clientId && g.user_id === userId && !g.revoked_at);
    if (live) return live;
    // One another host created and this one has not heard of yet.
    const [stored] = await this.db.all<GrantRow>('SELECT * FROM mcp_oauth_grants WHERE client_id = ? AND user_id = ? AND revoked_at IS NULL LIMIT 1', [
      clientId,
      userId,
    ]);
    if (stored) {
      await this.reload(`grant:${stored.id}`);
      const g = this.grants.get(stored.id);
      if (g) return g;
    }
    const g: OAuthGrant = {
      id: randomUUID(),
      client_id: clientId,
      user_id: userId,
      scopes,
      resource,
      created_at: new Date(),
      last_used_at: null,
      revoked_at: null,
    };
    await this.db.run('INSERT INTO mcp_oauth_grants (id, client_id, user_id, scopes, resource, created_at) VALUES (?, ?, ?, ?, ?, ?::TIMESTAMP)', [
      g.id,
      g.client_id,
      g.user_id,
      g.scopes.join(' '),
      g.resource,
      g.created_at.toISOString(),
    ]);
    this.grants.set(g.id, g);
    this.changes.publish({ topic: 'oauth', key: `grant:${g.id}` });
    return g;
  }

  async revokeGrant(id: string): Promise<void> {
    const g = this.grants.get(id);
    if (!g || g.revoked_at) return;
    const at = new Date();
    await this.db.transaction(async (tx) => {
      await tx.run('UPDATE mcp_oauth_grants SET revoked_at = ?::TIMESTAMP WHERE id = ?', [at.toISOString(), id]);
      await tx.run('DELETE FROM mcp_oauth_tokens WHERE grant_id = ?', [id]);
    });
    g.revoked_at = at;
    for (const [hash, t] of this.tokens) if (t.grant_id === id) this.tokens.delete(hash);
    this.changes.publish({ topic: 'oauth', key: `grant:${id}` });
  }

  /** Records that the grant was used now (kept in memory; written with the next token issued). */
  touch(grant: OAuthGrant): void {
    grant.last_used_at = new Date();
  }

  /**
   * Stores new tokens of a grant (the plain texts are never kept); marks `rotated` as exchanged in
   * the same transaction, only if it was not already (on any host): false, and nothing stored,
   * when it was, so a refresh token raced on two hosts is exchanged once.
   */
  async addTokens(grant: OAuthGrant, issued: { token: string; kind: TokenKind; expiresAt: Date }[], rotated?: OAuthToken): Promise<boolean> {
    const now = new Date();
    const rows: OAuthToken[] = issued.map((i) => ({
      token_hash: sha256(i.token),
      grant_id: grant.id,
      kind: i.kind,
      created_at: now,
      expires_at: i.expiresAt,
      rotated_at: null,
    }));
    const stored = await this.db.transaction(async (tx) => {
      if (rotated) {
        const marked = await tx.run('UPDATE mcp_oauth_tokens SET rotated_at = ?::TIMESTAMP WHERE token_hash = ? AND rotated_at IS NULL', [
          now.toISOString(),
          rotated.token_hash,
        ]);
        if (marked === 0) return false;
      }
      for (const r of rows) {
        await tx.run('INSERT INTO mcp_oauth_tokens (token_hash, grant_id, kind, created_at, expires_at) VALUES (?, ?, ?, ?::TIMESTAMP, ?::TIMESTAMP)', [
          r.token_hash,
          r.grant_id,
          r.kind,
          r.created_at.toISOString(),
          r.expires_at.toISOString(),
        ]);
      }
      await tx.run('UPDATE mcp_oauth_grants SET last_used_at = ?::TIMESTAMP WHERE id = ?', [iso(grant.last_used_at ?? now), grant.id]);
      return true;
    });
    if (!stored) {
      rotated!.rotated_at = now;
      return false;
    }
    if (rotated) rotated.rotated_at = now;
    for (const r of rows) this.tokens.set(r.token_hash, r);
    grant.last_used_at ??= now;
    this.changes.publish({ topic: 'oauth', key: `grant:${grant.id}` });
    this.prune(now);
    return true;
  }

  /** The stored token a presented text is, if any (expired ones included: the caller decides). */
  token(text: string): OAuthToken | undefined {
    return this.tokens.get(sha256(text));
  }

  /**
   * The stored token as the database has it now, with its grant loaded: for a token this host
   * does not hold yet (issued on another one a moment ago), or one whose state must not be a
   * moment old (a refresh token about to be exchanged). Undefined when it does not exist.
   */
  async findToken(text: string): Promise<OAuthToken | undefined> {
    const hash = sha256(text);
    const [t] = await this.db.all<OAuthToken>('SELECT * FROM mcp_oauth_tokens WHERE token_hash = ?', [hash]);
    if (!t) return undefined;
    if (!this.grants.has(t.grant_id) || !this.tokens.has(hash)) await this.reload(`grant:${t.grant_id}`);
    const g = this.grants.get(t.grant_id);
    if (g && !this.clients.has(g.client_id)) await this.reload(`client:${g.client_id}`);
    const held = this.tokens.get(hash);
    if (held) held.rotated_at = t.rotated_at;
    return held ?? t;
  }

  /** Drops expired tokens from memory (their rows go at the next start). */
  private prune(now: Date): void {
    if (this.tokens.size < 10_000) return;
    for (const [hash, t] of this.tokens) if (t.expires_at.getTime() < now.getTime()) this.tokens.delete(hash);
  }
}
