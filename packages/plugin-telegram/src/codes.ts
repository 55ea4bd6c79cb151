import { createHash, randomInt } from 'node:crypto';

/**
 * Link codes are typed by people, from a phone to a browser: 8 characters of an alphabet
 * without look-alikes (no 0/O, 1/I/L), shown as `ABCD-EFGH`. 31^8 ≈ 8.5·10^11 codes, against
 * verify attempts limited per account and address and a 10-minute life.
 */
export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const CODE_LENGTH = 8;

/** A fresh code, uniformly drawn (crypto's randomInt has no modulo bias). */
export function newLinkCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** `ABCD-EFGH` for display. */
export function formatLinkCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * What a person typed, as the code it must be: upper case, without spaces and dashes; null
 * when it cannot be a code (wrong length or a character outside the alphabet).
 */
export function normalizeLinkCode(typed: string): string | null {
  const code = typed.toUpperCase().replace(/[\s-]+/g, '');
  if (code.length !== CODE_LENGTH) return null;
  for (const c of code) if (!CODE_ALPHABET.includes(c)) return null;
  return code;
}

/** How a code is stored: its SHA-256, never the code itself. */
export function hashLinkCode(code: string): string {
  return createHash('sha256').update(`aida-telegram-link:${code}`).digest('hex');
}
