import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigInvalidError } from '../errors.js';
import type { SqlRunner } from '../state/system-db.js';

/** SHA-256 hex: how tokens are stored at rest (they are random, so no salt or slow hash is needed). */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Constant-time comparison of two hex digests or secrets. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * The JWT signing secret: JWT_SECRET_KEY, or one generated on first start and kept in
 * `state/jwt-secret` with mode 0600, so sessions survive restarts without configuration.
 */
export async function loadJwtSecret(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fromEnv = envJwtSecret(env);
  if (fromEnv) return fromEnv;
  const file = jwtSecretFile(dataDir);
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const secret = randomBytes(48).toString('base64url');
  try {
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // Another process created it first: use theirs.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(file, 'utf8')).trim();
    throw e;
  }
  await chmod(file, 0o600);
  return secret;
}

/**
 * The signing secret when the state is on PostgreSQL: every host of the instance must sign
 * with the same one, or a session from one host is refused by the next. JWT_SECRET_KEY when
 * set; else the one in `instance_secrets`, stored by the first host to start: the data dir's
 * `state/jwt-secret` if it has one (an instance moved from DuckDB keeps its sessions), a new
 * one otherwise. Two hosts starting at once both offer theirs; the row keeps the first.
 */
export async function loadSharedJwtSecret(db: SqlRunner, dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fromEnv = envJwtSecret(env);
  if (fromEnv) return fromEnv;
  const file = jwtSecretFile(dataDir);
  const offered = existsSync(file) ? (await readFile(file, 'utf8')).trim() : randomBytes(48).toString('base64url');
  await db.run('INSERT INTO instance_secrets (name, value, created_at) VALUES (?, ?, current_timestamp) ON CONFLICT (name) DO NOTHING', [
    JWT_SECRET_NAME,
    offered,
  ]);
  const [row] = await db.all<{ value: string }>('SELECT value FROM instance_secrets WHERE name = ?', [JWT_SECRET_NAME]);
  return row.value;
}

const JWT_SECRET_NAME = 'jwt';

function jwtSecretFile(dataDir: string): string {
  return join(dataDir, 'state', 'jwt-secret');
}

function envJwtSecret(env: NodeJS.ProcessEnv): string | undefined {
  const fromEnv = env.JWT_SECRET_KEY;
  if (fromEnv && fromEnv.length < 32) throw new ConfigInvalidError('JWT_SECRET_KEY must be at least 32 characters long');
  return fromEnv || undefined;
}
