import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { knownExtract, readExtract, type ExtractContent } from './read.js';
import type { FileRetention } from './retention.js';
import type { FileRow } from './schema.js';
import { serialize, sourceState } from './sources.js';

export interface CollectOptions {
  /** Readers outside the extract; without one, only the extract and open writers keep files. */
  retention?: FileRetention;
  logger?: Logger;
}

/**
 * Deletes the Parquet files of a source folder that nothing may read any more: not listed by
 * its extract, not put in place by a writer still open, not retained by `retention`. Runs
 * between commits, so it sees the extract as the last commit left it. Hosts call it when a
 * reader lets go of files and at boot (files a crash left behind); commits call the same sweep
 * themselves. A folder without an extract.duckdb is left alone: no list, no deletion.
 * Returns the deleted paths.
 */
export function collectExtractGarbage(sourceDir: string, options: CollectOptions = {}): Promise<string[]> {
  const dir = resolve(sourceDir);
  return serialize(sourceState(dir), 'commits', async () => {
    const extract = join(dir, 'extract.duckdb');
    if (!existsSync(extract)) return [];
    return sweep(dir, (await knownExtract(extract))?.files ?? (await readWithOwnInstance(extract)).files, options);
  });
}

/** An extract not read lately, on an in-memory instance of its own (a sweep has no connection). */
async function readWithOwnInstance(path: string): Promise<ExtractContent> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    return await readExtract(conn, path);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/**
 * The sweep itself; the caller runs it between commits (a commit, or collectExtractGarbage).
 * `keep` are the extract's files plus whatever the caller also wants kept. File placements
 * wait for it, so the writers' files counted at its start are all there are.
 */
export function sweep(dir: string, keep: readonly FileRow[], options: CollectOptions): Promise<string[]> {
  const state = sourceState(dir);
  return serialize(state, 'files', async () => {
    const kept = new Set(keep.map((f) => resolve(dir, f.path)));
    for (const placed of state.writers.values()) for (const p of placed()) kept.add(p);
    const removed: string[] = [];
    for (const file of await listParquet(join(dir, 'data'))) {
      // Asked file by file, right before deleting: a reader may have let go meanwhile, never the reverse (see FileRetention).
      if (kept.has(file) || options.retention?.isRetained(file)) continue;
      await rm(file, { force: true });
      removed.push(file);
      options.logger?.debug({ file }, 'removed unreferenced parquet file');
    }
    return removed;
  });
}

async function listParquet(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listParquet(p)));
    else if (entry.name.endsWith('.parquet')) out.push(p);
  }
  return out;
}
