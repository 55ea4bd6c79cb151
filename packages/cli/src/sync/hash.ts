import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Feeds a file's bytes into `hash`, streamed (also the start of a resumed download's MD5). */
export async function hashFileInto(hash: Hash, path: string): Promise<Hash> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash;
}

/** MD5 hex of a file's bytes (the hash the manifest carries). */
export async function md5File(path: string): Promise<string> {
  return (await hashFileInto(createHash('md5'), path)).digest('hex');
}
