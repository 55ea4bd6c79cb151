import { NotFoundError } from '@aida/core';
import { assertPasswordPolicy } from '../identity/passwords.js';
import { randomSecret } from '../identity/secrets.js';
import type { StateConfig } from '../state/config.js';
import { withOperatorIdentity } from './operator-identity.js';
import { setupUrl } from './setup-url.js';

export interface ResetOutcome {
  email: string;
  role: string;
  active: boolean;
  /** The new password when it was generated here; undefined when the operator chose it or asked for a link. */
  generated: string | undefined;
  /** With `link`: the single-use link (valid 1 day) that sets a new password (the old one works until it is used). */
  setupLink: { url: string; expires_at: string } | undefined;
}

export interface ResetOptions {
  /** The password the operator chose (read from stdin). */
  password?: string;
  /** Make a single-use setup link instead of a password. */
  link?: boolean;
  baseUrl?: string;
  port?: number;
}

/**
 * `aida admin reset-password`: for an operator locked out of the web UI. Sets the password
 * given, or a generated one it prints, or (with `link`) makes a single-use setup link to
 * choose a new one. With DuckDB state the host must be stopped: DuckDB lets one process hold the
 * file, so a live host makes it fail with AIDA_DATA_DIR_IN_USE. PostgreSQL state works while hosts run.
 */
export async function resetPassword(dataDir: string, email: string, options: ResetOptions = {}, state?: StateConfig): Promise<ResetOutcome> {
  const chosen = options.password === undefined ? undefined : assertPasswordPolicy(options.password);
  return withOperatorIdentity(
    dataDir,
    'admin reset-password',
    async (id) => {
      const user = id.users.byEmail(email);
      if (!user) {
        const admins = id.users
          .list()
          .filter((u) => u.role === 'admin')
          .map((u) => u.email);
        throw new NotFoundError(`No user with email ${email}${admins.length ? `; the admins are: ${admins.join(', ')}` : ''}`);
      }
      let generated: string | undefined;
      let setupLink: ResetOutcome['setupLink'];
      if (options.link) {
        // The old password is kept until the link is used: with no password left, an instance whose
        // only admin this is would accept POST /auth/bootstrap from anyone meanwhile.
        const link = await id.resetLink(user.id);
        setupLink = { url: setupUrl(link.setup_path, options), expires_at: link.expires_at };
      } else {
        generated = chosen === undefined ? randomSecret(12) : undefined;
        await id.setPassword(user.id, chosen ?? generated!);
      }
      return {
        result: { email: user.email, role: user.role, active: user.active, generated, setupLink },
        audit: { action: 'aida admin reset-password', resource: `/api/users/${user.id}`, status: 200 },
      };
    },
    state,
  );
}
