import { randomUUID } from 'node:crypto';
import { InputError, NotFoundError, ROLES, type Role, type UserDirectory, type UserSummary } from '@aida/core';
import { EmailTakenError, UnknownRoleError } from '../errors.js';
import { LocalChanges, reloadOnChange, type StateChanges } from '../state/changes.js';
import type { SystemDb } from '../state/system-db.js';

export interface UserRecord extends UserSummary {
  password_hash: string | null;
  created_at: Date;
  updated_at: Date | null;
}

export function normalizeEmail(email: unknown): string {
  if (typeof email !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) throw new InputError('A valid email address is required');
  return email.trim().toLowerCase();
}

export function assertRole(role: unknown): Role {
  if (!ROLES.includes(role as Role)) throw new UnknownRoleError(`Unknown role ${JSON.stringify(role)}; use one of ${ROLES.join(', ')}`);
  return role as Role;
}

const USER_COLUMNS = 'id, email, name, role, active, password_hash, created_at, updated_at';

/**
 * `users`, held in memory and written through: authentication reads a user on every request,
 * so it must not cost a query. Every write goes to the system database first, then to the
 * cache, then to the other hosts (`changes`), which reload the user; so a user deactivated on
 * one host is refused by the others as soon as they hear it.
 */
export class UsersRepository implements UserDirectory {
  private readonly byId = new Map<string, UserRecord>();

  constructor(
    private readonly db: SystemDb,
    private readonly changes: StateChanges = new LocalChanges(),
  ) {
    reloadOnChange(changes, 'users', { one: async (id) => void (await this.reload(id)), all: () => this.load() });
  }

  async load(): Promise<void> {
    const rows = await this.db.all<UserRecord>(`SELECT ${USER_COLUMNS} FROM users`);
    // Swapped in one step: a request meanwhile sees the old users, never none.
    this.byId.clear();
    for (const u of rows) this.byId.set(u.id, u);
  }

  /** Reads one user again (another host changed it); returns it, or undefined once it is gone. */
  async reload(id: string): Promise<UserRecord | undefined> {
    const [u] = await this.db.all<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [id]);
    if (u) this.byId.set(u.id, u);
    else this.byId.delete(id);
    return u;
  }

  /**
   * The user with that email, read from the database when this host does not know them: one
   * invited through another host a moment ago, whose change has not arrived yet.
   */
  async byEmailFresh(email: string): Promise<UserRecord | undefined> {
    const known = this.byEmail(email);
    if (known) return known;
    const [u] = await this.db.all<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE email = ?`, [email.trim().toLowerCase()]);
    if (u) this.byId.set(u.id, u);
    return u;
  }

  get(id: string): UserRecord | undefined {
    return this.byId.get(id);
  }

  require(id: string): UserRecord {
    const u = this.byId.get(id);
    if (!u) throw new NotFoundError(`No user with id ${id}`);
    return u;
  }

  async findByEmail(email: string): Promise<UserSummary | null> {
    const u = await this.byEmailFresh(email);
    return u ? summary(u) : null;
  }

  async findById(id: string): Promise<UserSummary | null> {
    const u = this.byId.get(id);
    return u ? summary(u) : null;
  }

  async findByIds(ids: readonly string[]): Promise<Map<string, UserSummary>> {
    const found = new Map<string, UserSummary>();
    for (const id of ids) {
      const u = this.byId.get(id);
      if (u) found.set(id, summary(u));
    }
    return found;
  }

  byEmail(email: string): UserRecord | undefined {
    const e = email.trim().toLowerCase();
    for (const u of this.byId.values()) if (u.email === e) return u;
    return undefined;
  }

  list(): UserRecord[] {
    return [...this.byId.values()].sort((a, b) => a.email.localeCompare(b.email));
  }

  hasAnyPassword(): boolean {
    for (const u of this.byId.values()) if (u.password_hash) return true;
    return false;
  }

  activeAdmins(): number {
    let n = 0;
    for (const u of this.byId.values()) if (u.role === 'admin' && u.active) n++;
    return n;
  }

  async create(input: { email: string; name?: string | null; role: Role; passwordHash?: string | null }): Promise<UserRecord> {
    const email = normalizeEmail(input.email);
    // Read through to the database: the user may have been created on another host a moment ago.
    if (await this.byEmailFresh(email)) throw new EmailTakenError(`A user with email ${email} already exists`);
    const user: UserRecord = {
      id: randomUUID(),
      email,
      name: input.name?.trim() || null,
      role: assertRole(input.role),
      active: true,
      password_hash: input.passwordHash ?? null,
      created_at: new Date(),
      updated_at: null,
    };
    await this.db.run('INSERT INTO users (id, email, name, role, active, password_hash, created_at) VALUES (?, ?, ?, ?, true, ?, ?::TIMESTAMP)', [
      user.id,
      user.email,
      user.name,
      user.role,
      user.password_hash,
      user.created_at.toISOString(),
    ]);
    this.byId.set(user.id, user);
    this.changes.publish({ topic: 'users', key: user.id });
    return user;
  }

  async update(id: string, patch: Partial<Pick<UserRecord, 'email' | 'name' | 'role' | 'active' | 'password_hash'>>): Promise<UserRecord> {
    const current = this.require(id);
    const given = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as typeof patch;
    const next: UserRecord = { ...current, ...given, updated_at: new Date() };
    if (patch.email !== undefined) {
      next.email = normalizeEmail(patch.email);
      const other = await this.byEmailFresh(next.email);
      if (other && other.id !== id) throw new EmailTakenError(`A user with email ${next.email} already exists`);
    }
    if (patch.role !== undefined) next.role = assertRole(patch.role);
    await this.db.run('UPDATE users SET email = ?, name = ?, role = ?, active = ?, password_hash = ?, updated_at = ?::TIMESTAMP WHERE id = ?', [
      next.email,
      next.name,
      next.role,
      next.active,
      next.password_hash,
      next.updated_at!.toISOString(),
      id,
    ]);
    this.byId.set(id, next);
    this.changes.publish({ topic: 'users', key: id });
    return next;
  }

  async delete(id: string): Promise<void> {
    this.require(id);
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM personal_access_tokens WHERE user_id = ?', [id]);
      await tx.run('DELETE FROM dataset_permissions WHERE user_id = ?', [id]);
      await tx.run('DELETE FROM users WHERE id = ?', [id]);
    });
    this.byId.delete(id);
    this.changes.publish({ topic: 'users', key: id });
    this.changes.publish({ topic: 'pats' }); // the user's tokens went with them
    this.changes.publish({ topic: 'permissions', key: id });
  }
}

export function summary(u: UserRecord): UserSummary {
  return { id: u.id, email: u.email, name: u.name, role: u.role, active: u.active };
}

/** The JSON shape of a user in the API (never the password hash). */
export function userJson(u: UserRecord) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    active: u.active,
    has_password: Boolean(u.password_hash),
    created_at: u.created_at,
    updated_at: u.updated_at,
  };
}
