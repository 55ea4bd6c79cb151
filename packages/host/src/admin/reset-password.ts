import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError } from '@aida/core';
import { assertPasswordPolicy, hashPassword } from '../identity/passwords.js';
import { randomSecret } from '../identity/secrets.js';
import { UsersRepository } from '../identity/users.js';
import { SystemDb } from '../state/system-db.js';

export interface ResetOutcome {
  email: string;
  role: string;
  active: boolean;
  /** The new password when it was generated here; undefined when the operator chose it. */
  generated: string | undefined;
}

/**
 * `aida admin reset-password`: sets a user's password directly in the system database, for
 * an operator locked out of the web UI. The host must be stopped: DuckDB lets one process
 * hold the file, so a live host makes the open fail with AIDA_DATA_DIR_IN_USE.
 */
export async function resetPassword(dataDir: string, email: string, chosen?: string): Promise<ResetOutcome> {
  const path = join(dataDir, 'state', 'system.duckdb');
  if (!existsSync(path))
    throw new NotFoundError(`No AIDA instance in ${dataDir} (no state/system.duckdb); set AIDA_DATA_DIR or --data-dir to the instance's data directory`);
  const password = chosen === undefined ? undefined : assertPasswordPolicy(chosen);
  const db = await SystemDb.open(path);
  try {
    const users = new UsersRepository(db);
    await users.load();
    const user = users.byEmail(email);
    if (!user) {
      const admins = users
        .list()
        .filter((u) => u.role === 'admin')
        .map((u) => u.email);
      throw new NotFoundError(`No user with email ${email}${admins.length ? `; the admins are: ${admins.join(', ')}` : ''}`);
    }
    const generated = password === undefined ? randomSecret(12) : undefined;
    await users.update(user.id, { password_hash: await hashPassword(password ?? generated!) });
    return { email: user.email, role: user.role, active: user.active, generated };
  } finally {
    await db.close();
  }
}
