import { UsersRepository } from '../identity/users.js';
import type { StateConfig } from '../state/config.js';
import { EMBEDDED_STATE, withInstanceDb } from './instance-state.js';

export interface ListedUser {
  email: string;
  name: string | null;
  role: string;
  active: boolean;
  /** False for an invited user who has not set a password yet (and signs in only through another provider). */
  has_password: boolean;
  created_at: string;
}

/** `aida admin list-users`: every user of an instance (stopped, unless on PostgreSQL), admins first, then by email. */
export function listUsers(dataDir: string, state: StateConfig = EMBEDDED_STATE): Promise<ListedUser[]> {
  return withInstanceDb(dataDir, state, 'admin list-users', async (db) => {
    const users = new UsersRepository(db);
    await users.load();
    const rank = (role: string) => (role === 'admin' ? 0 : 1);
    return users
      .list()
      .map((u) => ({
        email: u.email,
        name: u.name,
        role: u.role,
        active: u.active,
        has_password: Boolean(u.password_hash),
        created_at: new Date(u.created_at).toISOString(),
      }))
      .sort((a, b) => rank(a.role) - rank(b.role) || a.email.localeCompare(b.email));
  });
}

/** The list as a table a person reads. */
export function renderUsers(users: readonly ListedUser[]): string {
  if (!users.length) return 'No users yet.';
  const rows = users.map((u) => [u.email, u.role, u.active ? 'active' : 'deactivated', u.has_password ? 'yes' : 'no', u.name ?? '']);
  const head = ['EMAIL', 'ROLE', 'STATE', 'PASSWORD', 'NAME'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
