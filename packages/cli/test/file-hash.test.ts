// The hash of a download as it is written: on the main thread for small files, by a worker
// thread reading the file back for large ones (the compiled worker, so this imports dist/), as
// SHA-256 or MD5.
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type * as FileHash from '../src/sync/file-hash.js';

const { growingFileHash, WORKER_HASH_MIN_BYTES } = (await import(new URL('../dist/sync/file-hash.js', import.meta.url).href)) as typeof FileHash;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('growingFileHash', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'da-md5-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** Writes `body` after `prefix` in 1 MiB appends the way a download does, reporting each to the hasher. */
  async function download(prefix: Buffer, body: Buffer, expected: number, algorithm: 'md5' | 'sha256' = 'md5'): Promise<string> {
    const path = join(dir, 'f.part');
    await writeFile(path, prefix);
    const h = await growingFileHash(path, prefix.length, expected, algorithm);
    let size = prefix.length;
    for (let at = 0; at < body.length; at += 1 << 20) {
      const chunk = body.subarray(at, at + (1 << 20));
      h.update(chunk);
      await appendFile(path, chunk);
      size += chunk.length;
      h.written(size);
    }
    return h.digest(size);
  }

  it('hashes a large file in the worker as it grows, also after a resumed prefix', async () => {
    const all = randomBytes(WORKER_HASH_MIN_BYTES + (3 << 20) + 17);
    expect(await download(Buffer.alloc(0), all, all.length)).toBe(md5(all));
    const cut = 5_000_001;
    expect(await download(all.subarray(0, cut), all.subarray(cut), all.length)).toBe(md5(all));
    expect(await download(Buffer.alloc(0), all, all.length, 'sha256')).toBe(sha256(all));
    expect(await download(all.subarray(0, cut), all.subarray(cut), all.length, 'sha256')).toBe(sha256(all));
  });

  it('hashes a small file on the main thread, also after a resumed prefix', async () => {
    const all = randomBytes(3 << 20);
    expect(await download(Buffer.alloc(0), all, all.length)).toBe(md5(all));
    expect(await download(all.subarray(0, 1000), all.subarray(1000), all.length)).toBe(md5(all));
    expect(await download(all.subarray(0, 1000), all.subarray(1000), all.length, 'sha256')).toBe(sha256(all));
  });

  it('fails when the file holds fewer bytes than reported written', async () => {
    const path = join(dir, 'short.part');
    await writeFile(path, randomBytes(1000));
    const h = await growingFileHash(path, 0, WORKER_HASH_MIN_BYTES, 'sha256');
    await expect(h.digest(WORKER_HASH_MIN_BYTES)).rejects.toThrow(/ended after 1000 bytes/);
  });
});
