/**
 * The scratch DuckDB instance the exports that write files run on (Parquet, and NDJSON/CSV
 * through a pipe): in memory, attached to the analytics file read-only, allowed to touch only
 * the extracts folder and the scratch folder, configuration locked. The analytics instance
 * itself may not write anywhere; the only SQL run here is built around an already checked SELECT.
 */
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from '@aida/core';
import type { DataContext } from '../context.js';
import type { EngineClock } from './clock.js';
import { onClock } from './engine.js';

/** Runs `fn` on a fresh locked-down scratch instance (closed when it returns), on the query's clock. */
export async function withScratch<T>(
  ctx: DataContext,
  clock: EngineClock,
  scratchDir: string,
  fn: (conn: DuckDBConnection) => Promise<T>,
  options: { threads?: number; memoryLimit?: string } = {},
): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    temp_directory: join(scratchDir, 'spill'),
    ...(options.threads ? { threads: String(options.threads) } : {}),
    ...(options.memoryLimit ? { memory_limit: options.memoryLimit } : {}),
  });
  try {
    const conn = await instance.connect();
    try {
      await conn.run(`ATTACH ${sqlString(ctx.analytics.path)} AS analytics (READ_ONLY)`);
      await conn.run('USE analytics');
      const dirs = [join(ctx.dataDir, 'extracts'), scratchDir].map((d) => sqlString(`${d}/`));
      // allowed_directories must be set before external access is disabled.
      await conn.run(`SET allowed_directories = [${dirs.join(', ')}]`);
      await conn.run('SET enable_external_access = false');
      await conn.run('SET lock_configuration = true');
      return await onClock(ctx, clock, conn, fn);
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
