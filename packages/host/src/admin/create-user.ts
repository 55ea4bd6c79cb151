import type { Role } from '@aida/core';
import { INVITE_TTL_MS } from '../identity/identity.js';
import { assertRole } from '../identity/users.js';
import type { StateConfig } from '../state/config.js';
import { withOperatorIdentity } from './operator-identity.js';
import { setupUrl } from './setup-url.js';

export interface CreateUserInput {
  email: string;
  role: string;
  name?: string;
  /** The password, when the operator chose one (from stdin); otherwise a setup link is made. */
  password?: string;
  /** Where setup links point (see setupUrl). */
  baseUrl?: string;
  port?: number;
}

export interface CreateUserOutcome {
  id: string;
  email: string;
  role: Role;
  /** The single-use link (valid 7 days) to set a password; undefined when one was given. */
  setupLink: { url: string; expires_at: string } | undefined;
}

/**
 * `aida admin create-user EMAIL --role ROLE`: a user, the way the admin page invites one: with
 * the password given, or with a single-use setup link. On a stopped instance (DuckDB state), or
 * on PostgreSQL state while hosts run.
 */
export async function createUser(dataDir: string, input: CreateUserInput, state?: StateConfig): Promise<CreateUserOutcome> {
  const role = assertRole(input.role);
  return withOperatorIdentity(
    dataDir,
    'admin create-user',
    async (id) => {
      const user = await id.createUser({ email: input.email, name: input.name ?? null, role, password: input.password });
      const link = user.password_hash ? undefined : await id.setupLink(user, INVITE_TTL_MS);
      return {
        result: {
          id: user.id,
          email: user.email,
          role: user.role,
          setupLink: link && { url: setupUrl(link.setup_path, input), expires_at: link.expires_at },
        },
        audit: { action: 'aida admin create-user', resource: `/api/users/${user.id}`, status: 201 },
      };
    },
    state,
  );
}
