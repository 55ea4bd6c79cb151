import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigInvalidError } from '../errors.js';

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
  const fromEnv = env.JWT_SECRET_KEY;
  if (fromEnv) {
    if (fromEnv.length < 32) throw new ConfigInvalidError('JWT_SECRET_KEY must be at least 32 characters long');
    return fromEnv;
  }
  const file = join(dataDir, 'state', 'jwt-secret');
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
