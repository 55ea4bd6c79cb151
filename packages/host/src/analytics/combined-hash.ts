import { createHash } from 'node:crypto';

/** Hash of a partitioned table: the MD5 of its parts' hashes joined by newlines, in part order. */
export function combinedHash(hashes: readonly string[]): string {
  return createHash('md5').update(hashes.join('\n')).digest('hex');
}
