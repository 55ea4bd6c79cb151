import { randomUUID } from 'node:crypto';
import { SerialQueue, type IssuedSession, type Role } from '@aida/core';
import { AlreadyBootstrappedError, BadCredentialsError, LastAdminError, SelfChangeError } from '../errors.js';
import type { Logger } from 'pino';
import { LocalChanges, type StateChanges } from '../state/changes.js';
import type { SystemDb } from '../state/system-db.js';
import { AccessRequests } from './access-requests.js';
import { AuditLog } from './audit.js';
import { DbOneTimeTokens } from './one-time-tokens.js';
import { assertPasswordPolicy, hashPassword, verifyPassword } from './passwords.js';
import { PatRepository } from './pats.js';
import { Permissions } from './permissions.js';
import { limitTable, MemoryRateLimits, type HostRateLimits } from './rate-limits.js';
import { loadJwtSecret, loadSharedJwtSecret, randomSecret, sha256 } from './secrets.js';
import { HostSessionIssuer } from './sessions.js';
import { SessionTokens } from './session-tokens.js';
import { UsersRepository, type UserRecord } from './users.js';

export const INVITE_TTL_MS = 7 * 86_400_000;
export const RESET_TTL_MS = 86_400_000;

/** A single-use link to set a password; `setup_path` is relative to the host's mount point. */
export interface SetupLink {
  token: string;
  expires_at: string;
  setup_path: string;
}

/** Users, sessions, tokens, grants, access requests and audit: the identity side of the host. */
export class Identity {
  readonly users: UsersRepository;
  readonly pats: PatRepository;
  readonly permissions: Permissions;
  readonly accessRequests: AccessRequests;
  readonly oneTimeTokens: DbOneTimeTokens;
  readonly rateLimits: HostRateLimits;
  readonly audit: AuditLog;
  private usageTimer: NodeJS.Timeout | undefined;
  private readonly bootstrapping = new SerialQueue();

  private constructor(
    readonly db: SystemDb,
    readonly tokens: SessionTokens,
    readonly sessions: HostSessionIssuer,
    users: UsersRepository,
    private readonly logger: Logger,
    rateLimits: HostRateLimits,
    /** Tells the other hosts of the instance what changed, and this one what they changed. */
    readonly changes: StateChanges,
  ) {
    this.users = users;
    this.rateLimits = rateLimits;
    this.pats = new PatRepository(db, changes);
    this.permissions = new Permissions(db, changes);
    this.accessRequests = new AccessRequests(db);
    this.oneTimeTokens = new DbOneTimeTokens(db);
    this.audit = new AuditLog(db, logger.child({ component: 'audit' }));
  }

  static async open(
    db: SystemDb,
    dataDir: string,
    logger: Logger,
    opts: {
      sessionLifetimeSeconds: number;
      signinLimit?: { perAccount: number; perIp: number; windowMs: number };
      /** The change feed between the instance's hosts; none (one host) when not given. */
      changes?: StateChanges;
      /** The sign-in limits (shared by the hosts when the state is on PostgreSQL); in memory, from `signinLimit`, when not given. */
      rateLimits?: HostRateLimits;
    },
  ): Promise<Identity> {
    // Every host of an instance on PostgreSQL must sign with the same secret; one host keeps it with its data.
    const secret = db.dialect === 'postgres' ? await loadSharedJwtSecret(db, dataDir) : await loadJwtSecret(dataDir);
    const tokens = new SessionTokens(secret);
    const changes = opts.changes ?? new LocalChanges();
    const users = new UsersRepository(db, changes);
    const rateLimits = opts.rateLimits ?? new MemoryRateLimits(limitTable(opts.signinLimit));
    const sessions = new HostSessionIssuer(users, tokens, { lifetimeSeconds: opts.sessionLifetimeSeconds });
    const id = new Identity(db, tokens, sessions, users, logger, rateLimits, changes);
    await Promise.all([users.load(), id.pats.load(), id.permissions.load()]);
    id.audit.start();
    id.usageTimer = setInterval(() => void id.pats.flushUsage().catch((e) => logger.warn({ err: e }, 'writing token usage failed')), 5000);
    id.usageTimer.unref();
    return id;
  }

  async close(): Promise<void> {
    clearInterval(this.usageTimer);
    await this.pats.flushUsage().catch(() => undefined);
    await this.audit.stop();
    await this.rateLimits.close();
  }

  /** Email + password → session; one message for every failure so accounts cannot be probed. */
  async passwordSignIn(email: string, password: string): Promise<IssuedSession> {
    const user = await this.users.byEmailFresh(email);
    const ok = await verifyPassword(user?.password_hash, password);
    if (!user || !ok || !user.active) throw new BadCredentialsError('Incorrect email or password');
    return this.sessions.sessionFor(user);
  }

  /**
   * The first admin. Serialised, so two bootstraps racing each other cannot both pass the
   * "no user has a password yet" check while the first is still hashing its password.
   */
  bootstrap(input: { email: string; name?: string; password: string }): Promise<UserRecord> {
    return this.bootstrapping.run(async () => {
      if (this.users.hasAnyPassword()) throw new AlreadyBootstrappedError('This instance already has users; sign in instead');
      return this.createUser({ ...input, role: 'admin' });
    });
  }

  async createUser(input: { email: string; name?: string | null; role: Role; password?: string }): Promise<UserRecord> {
    const passwordHash = input.password === undefined ? null : await hashPassword(assertPasswordPolicy(input.password));
    return this.users.create({ email: input.email, name: input.name, role: input.role, passwordHash });
  }

  /**
   * Creates a user (an invite): one created without a password gets a single-use setup link,
   * valid 7 days, to set it. The JSON API and the admin page both invite through this.
   */
  async inviteUser(input: { email: string; name?: string | null; role: Role; password?: string }): Promise<{ user: UserRecord; invite: SetupLink | null }> {
    const user = await this.createUser(input);
    return { user, invite: user.password_hash ? null : await this.setupLink(user, INVITE_TTL_MS) };
  }

  /** Changes a user's email, name or role, refusing to demote yourself or the last active admin. */
  updateUser(actorId: string, targetId: string, patch: { email?: string; name?: string | null; role?: Role }): Promise<UserRecord> {
    this.guardAdminChange(actorId, targetId, { role: patch.role });
    return this.users.update(targetId, patch);
  }

  /** Deactivates (sessions and tokens stop working at once) or reactivates a user; never yourself or the last active admin. */
  setActive(actorId: string, targetId: string, active: boolean): Promise<UserRecord> {
    if (!active) this.guardAdminChange(actorId, targetId, { active: false });
    return this.users.update(targetId, { active });
  }

  /** A single-use link, valid 1 day, for a user to set a new password. */
  resetLink(userId: string): Promise<SetupLink> {
    return this.setupLink(this.users.require(userId), RESET_TTL_MS);
  }

  async setPassword(userId: string, password: string): Promise<void> {
    await this.users.update(userId, { password_hash: await hashPassword(assertPasswordPolicy(password)) });
  }

  /** A single-use link to set a password: for invites (7 days) and resets (1 day). */
  async setupLink(user: UserRecord, ttlMs: number): Promise<SetupLink> {
    const token = await this.oneTimeTokens.issue('password-setup', user.email, ttlMs);
    return {
      token,
      expires_at: new Date(Date.now() + ttlMs).toISOString(),
      setup_path: `/login/setup?email=${encodeURIComponent(user.email)}&token=${encodeURIComponent(token)}`,
    };
  }

  async createPat(userId: string, name: string, days: number | null) {
    const user = this.users.require(userId);
    const tokenId = randomUUID();
    const { token, expiresAt } = this.tokens.sign(user, 'pat', { expiresInSeconds: days === null ? null : days * 86_400, jti: tokenId });
    const rec = await this.pats.create({
      id: tokenId,
      user_id: userId,
      name,
      prefix: `aida_${tokenId.slice(0, 8)}`,
      token_hash: sha256(token),
      expires_at: expiresAt,
    });
    return { id: rec.id, name: rec.name, prefix: rec.prefix, token, expires_at: rec.expires_at };
  }

  /** Refuses changes that would leave the instance without an active admin, or lock yourself out. */
  guardAdminChange(actorId: string, targetId: string, change: { role?: Role; active?: boolean; delete?: boolean }): void {
    const target = this.users.require(targetId);
    if (actorId === targetId && (change.delete || change.active === false || (change.role && change.role !== target.role))) {
      throw new SelfChangeError('You cannot change your own role, deactivate or delete yourself; ask another admin');
    }
    const losesAdmin =
      target.role === 'admin' && target.active && (change.delete || change.active === false || (change.role !== undefined && change.role !== 'admin'));
    if (losesAdmin && this.users.activeAdmins() <= 1) {
      throw new LastAdminError('This is the last active admin; make someone else admin first');
    }
  }

  /**
   * AIDA_ADMIN_EMAIL / AIDA_ADMIN_PASSWORD: an admin for unattended installs, created when no
   * user has that email. An existing account is never changed from the environment (a restart
   * must not undo a password changed since); the log says so and names the recovery command.
   */
  async ensureEnvAdmin(env: NodeJS.ProcessEnv = process.env): Promise<void> {
    const email = env.AIDA_ADMIN_EMAIL;
    const password = env.AIDA_ADMIN_PASSWORD;
    if (!email && !password) return;
    if (!email || !password) {
      this.logger.warn(
        `${email ? 'AIDA_ADMIN_EMAIL is set without AIDA_ADMIN_PASSWORD' : 'AIDA_ADMIN_PASSWORD is set without AIDA_ADMIN_EMAIL'}: no admin is created from the environment; set both (they only create a missing admin)`,
      );
      return;
    }
    const existing = this.users.byEmail(email);
    if (!existing) {
      const others = this.users.list().length;
      await this.createUser({ email, name: 'Administrator', role: 'admin', password });
      this.logger.info(
        { email },
        others
          ? `created the admin ${email} from AIDA_ADMIN_EMAIL/AIDA_ADMIN_PASSWORD beside the ${others} existing user${others > 1 ? 's' : ''}, who are unchanged`
          : `created the admin ${email} from AIDA_ADMIN_EMAIL/AIDA_ADMIN_PASSWORD`,
      );
      return;
    }
    if (existing.role === 'admin' && existing.active && (await verifyPassword(existing.password_hash, password))) {
      this.logger.info({ email }, `AIDA_ADMIN_EMAIL names the admin ${email}, whose password is AIDA_ADMIN_PASSWORD already: nothing to do`);
      return;
    }
    this.logger.warn(
      { email },
      `AIDA_ADMIN_EMAIL names an existing account (${existing.role}${existing.active ? '' : ', deactivated'}); AIDA_ADMIN_PASSWORD only creates a missing admin and changed nothing. To set its password: aida admin reset-password ${email}`,
    );
  }

  /**
   * The demo instance gets an admin with a fresh password so it can be explored at once.
   * Returns the credentials the first time (for the caller to show), undefined once users exist.
   */
  async ensureDemoAdmin(): Promise<{ email: string; password: string } | undefined> {
    if (this.users.list().length) return undefined;
    const email = 'admin@example.com';
    const password = randomSecret(12);
    await this.createUser({ email, name: 'Demo Admin', role: 'admin', password });
    this.logger.warn(
      { email },
      `demo instance: sign in at /login as ${email} with password ${password} (shown once; lost it? run: aida admin reset-password ${email})`,
    );
    return { email, password };
  }
}
