import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** MD5 hex of a file's bytes (the hash the manifest carries), streamed. */
export async function md5File(path: string): Promise<string> {
  const h = createHash('md5');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}
