/**
 * A download in flight keeps the file it streams: commits and rebuilds that make the file
 * obsolete meanwhile neither delete it nor cut the body; it goes once the download is over.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlString } from '@aida/core';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { localFilesPlugin } from '../../src/local-files/plugin.js';
import { parquetFiles } from '../analytics/extract-files.js';
import { bootstrap } from '../identity/helpers.js';

let t: TestHost;
let admin: string;
let folder: string;

/** A Parquet file far bigger than what the loopback socket buffers hold, so a paused download stays in flight. */
async function bigParquet(path: string, rows: number): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run(
      `COPY (SELECT range AS id, md5(range::VARCHAR) AS h, md5((range * 7)::VARCHAR) AS g FROM range(${rows})) TO ${sqlString(path)} (FORMAT parquet)`,
    );
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'aida-download-src-'));
  await bigParquet(join(folder, 'big.parquet'), 250_000);
  await writeFile(join(folder, 'small.csv'), 'id\n1\n');
  t = await startTestHost({
    plugins: [{ plugin: localFilesPlugin, config: { sources: [{ name: 'shop', path: folder }] } }],
    config: { analytics: { profile_after_rebuild: false } },
  });
  const r = await t.host.syncSource('shop');
  if (r.error) throw new Error(r.error);
  admin = await bootstrap(t);
});
afterAll(async () => {
  await t?.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

function startDownload(table: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    get(`${t.url}/api/data/${table}/download`, { headers: { authorization: `Bearer ${admin}` } }, (res) => {
      res.pause(); // read nothing yet: the server's stream is stuck part-way through the file
      resolve(res);
    }).once('error', reject);
  });
}

async function readAll(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The big table's one file (content-addressed: each version has a new name). */
async function bigFilePath(): Promise<string> {
  const files = (await parquetFiles(join(t.dataDir, 'extracts', 'shop'))).filter((p) => basename(p).startsWith('big.'));
  expect(files).toHaveLength(1);
  return files[0];
}

describe('a download in flight while its file becomes obsolete', () => {
  it('streams the whole file it started on, and the file is deleted once the download is over', async () => {
    const path = await bigFilePath();
    const res = await startDownload('big');
    expect(res.statusCode).toBe(200);
    const etag = res.headers.etag;
    try {
      // Two commits and two rebuilds: the file leaves the extract and every analytics database.
      await bigParquet(join(folder, 'big.parquet'), 10);
      expect((await t.host.syncSource('shop', ['big'])).error).toBeUndefined();
      await writeFile(join(folder, 'small.csv'), 'id\n1\n2\n');
      expect((await t.host.syncSource('shop', ['small'])).error).toBeUndefined();
      expect(existsSync(path)).toBe(true);

      const body = await readAll(res);
      expect(`"${createHash('md5').update(body).digest('hex')}"`).toBe(etag);
      expect(body.length).toBe(Number(res.headers['content-length']));
    } finally {
      res.destroy(); // a failed assertion must not leave the paused response holding the server open
    }

    // Nothing reads it any more: it is collected without waiting for another commit.
    const deadline = Date.now() + 10_000;
    while (existsSync(path) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(path)).toBe(false);
  });
});
