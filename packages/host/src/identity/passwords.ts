import { InputError } from '@aida/core';
import { PasswordTooShortError } from '../errors.js';

export const MIN_PASSWORD_LENGTH = 8;

export function assertPasswordPolicy(password: unknown): string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw new PasswordTooShortError(`Password must be at least ${MIN_PASSWORD_LENGTH} characters long`);
  }
  if (password.length > 1024) throw new InputError('Password must be at most 1024 characters long');
  return password;
}

/** argon2id with the library's defaults (memory-hard; the parameters travel inside the hash). */
export async function hashPassword(password: string): Promise<string> {
  return (await argon2()).hash(password);
}

/** Loaded on first use: the native module is not needed to start serving. */
let argon2Module: Promise<typeof import('@node-rs/argon2')> | undefined;
function argon2(): Promise<typeof import('@node-rs/argon2')> {
  argon2Module ??= import('@node-rs/argon2');
  return argon2Module;
}

/** A real hash of a throwaway password, verified against when a user does not exist, so timing does not tell. */
let dummyHash: Promise<string> | undefined;

export async function verifyPassword(passwordHash: string | null | undefined, password: string): Promise<boolean> {
  const { hash, verify } = await argon2();
  if (!passwordHash) {
    dummyHash ??= hash('not-a-real-password');
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  return verify(passwordHash, password).catch(() => false);
}
