import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { readExtract } from '@aida/core';

/** Absolute paths of the files a source's extract.duckdb lists, sorted. */
export async function listedFiles(sourceDir: string): Promise<string[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return (await readExtract(conn, join(sourceDir, 'extract.duckdb'))).files.map((f) => join(sourceDir, f.path)).sort();
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** Absolute paths of the Parquet files under a source's data/ folder, sorted. */
export async function parquetFiles(sourceDir: string, dir = join(sourceDir, 'data')): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await parquetFiles(sourceDir, p)));
    else if (e.name.endsWith('.parquet')) out.push(p);
  }
  return out.sort();
}
