import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface FileDigest {
  /** MD5 hex: the form the reference platform's clients verify downloads with. */
  md5: string;
  sha256: string;
  size: number;
}

/** Hashes a file in one streaming pass, computing MD5 and SHA-256 together. */
export async function digestFile(path: string): Promise<FileDigest> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    md5.update(chunk);
    sha256.update(chunk);
    size += chunk.length;
  }
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex'), size };
}
