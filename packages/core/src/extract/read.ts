import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from '../duckdb.js';
import { sqlString } from '../identifiers.js';
import type { FileRow, MetaRow } from './schema.js';

export interface ExtractContent {
  meta: MetaRow[];
  files: FileRow[];
}

/**
 * `_files`, or none for an extract written by the reference platform (it has only `_meta`).
 * Asked for directly: a look at `duckdb_tables()` first costs more than the read (every
 * attached catalog is listed).
 */
async function readFiles(conn: DuckDBConnection, alias: string): Promise<FileRow[]> {
  try {
    return await queryRows<FileRow>(conn, `SELECT * FROM ${alias}._files ORDER BY table_name, part`);
  } catch (e) {
    if (/Table with name _files does not exist/i.test((e as Error).message)) return [];
    throw e;
  }
}

async function readFromDisk(conn: DuckDBConnection, path: string): Promise<ExtractContent> {
  const alias = `prev_${randomBytes(4).toString('hex')}`;
  await conn.run(`ATTACH ${sqlString(path)} AS ${alias} (READ_ONLY)`);
  try {
    const meta = await queryRows<MetaRow>(conn, `SELECT * FROM ${alias}._meta ORDER BY table_name`);
    return { meta, files: await readFiles(conn, alias) };
  } finally {
    await conn.run(`DETACH ${alias}`);
  }
}

/**
 * The extracts read or committed lately, by path. Commits rename a new file into place, so
 * inode + mtime + size identify an extract.duckdb's content; one push is read by its writer's
 * open, its commit, the rebuild and the garbage sweep, and each of those reads was an ATTACH.
 */
const recent = new Map<string, { key: string; content: Promise<ExtractContent> }>();
/** Sources a process keeps in mind at once; the oldest is forgotten beyond. */
const RECENT_LIMIT = 256;

const contentKey = (st: Stats) => `${st.ino}:${st.mtimeMs}:${st.size}`;

function remember(path: string, key: string, content: Promise<ExtractContent>): void {
  recent.delete(path);
  recent.set(path, { key, content });
  if (recent.size > RECENT_LIMIT) recent.delete(recent.keys().next().value!);
  // A failed read is not kept: the next one reads again.
  content.catch(() => {
    if (recent.get(path)?.content === content) recent.delete(path);
  });
}

/** A copy, so that no caller can change what the next one is given. */
const copy = async (content: Promise<ExtractContent>): Promise<ExtractContent> => structuredClone(await content);

/** Reads `_meta` and `_files` of an existing extract (empty when there is none); unchanged files are not read again. */
export async function readExtract(conn: DuckDBConnection, file: string): Promise<ExtractContent> {
  const path = resolve(file);
  const st = await stat(path).catch(() => undefined);
  if (!st) return { meta: [], files: [] };
  const key = contentKey(st);
  const hit = recent.get(path);
  if (hit?.key === key) return copy(hit.content);
  const content = readFromDisk(conn, path);
  remember(path, key, content);
  return copy(content);
}

/** The extract at `path` if it is known unchanged since it was last read or committed, without a connection. */
export async function knownExtract(file: string): Promise<ExtractContent | undefined> {
  const path = resolve(file);
  const hit = recent.get(path);
  if (!hit) return undefined;
  const st = await stat(path).catch(() => undefined);
  return st && contentKey(st) === hit.key ? copy(hit.content) : undefined;
}

/** Records what a commit just renamed into place at `path`, so that its readers need not read it back. */
export async function rememberCommitted(file: string, content: ExtractContent): Promise<void> {
  const path = resolve(file);
  const st = await stat(path);
  remember(path, contentKey(st), Promise.resolve(structuredClone(content)));
}
