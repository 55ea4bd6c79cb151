// The workspace's analytics.duckdb as `da mcp` opens it: read-only, for one call at a time, and
// locked down so an agent's SELECT can read the synced Parquet files and the database, and no
// other file on the laptop (MotherDuck's MCP README warns that read-only mode alone leaves the
// filesystem reachable). Opened per call and closed after it, so `da sync` can rebuild the
// views while an agent session stays connected (a long-held handle blocks writers).
import { access } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from '@aida/core';
import { CliError, usageError } from '../errors.js';
import type { Workspace } from '../workspace.js';

export interface ReadOnlyDb {
  conn: DuckDBConnection;
  close(): void;
}

/** How long to wait for a writer (da sync rebuilding views) to let go of the file. */
const LOCK_WAIT_MS = 3_000;
const LOCK_RETRY_MS = 100;

export async function openReadOnly(ws: Workspace): Promise<ReadOnlyDb> {
  const exists = await access(ws.duckdbPath).then(
    () => true,
    () => false,
  );
  if (!exists)
    throw usageError(`No local database in ${ws.root} (user/duckdb/analytics.duckdb)`, 'run da sync in this workspace, or point DA_LOCAL_DIR at one');
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const instance = await DuckDBInstance.create(ws.duckdbPath, { access_mode: 'READ_ONLY' });
      const conn = await instance.connect();
      const close = () => {
        conn.closeSync();
        instance.closeSync();
      };
      try {
        await lockDown(conn, ws);
      } catch (e) {
        close();
        throw e;
      }
      return { conn, close };
    } catch (e) {
      const msg = (e as Error).message;
      if (!/lock/i.test(msg)) throw new CliError('data', `Cannot open ${ws.duckdbPath}: ${msg}`);
      if (Date.now() >= deadline)
        throw new CliError('data', `${ws.duckdbPath} is open for writing in another program`, {
          hint: 'wait for da sync to finish, or close the DuckDB shell or notebook that has it open, then retry',
        });
      await sleep(LOCK_RETRY_MS);
    }
  }
}

/**
 * Views name their files relative to the workspace root: the search path finds them, and the
 * allowed directory is given both ways because DuckDB checks the path as written.
 */
async function lockDown(conn: DuckDBConnection, ws: Workspace): Promise<void> {
  const dirs = [ws.parquetDir + sep, join('server', 'parquet') + sep];
  await conn.run(`SET file_search_path = ${sqlString(ws.root)}`);
  await conn.run(`SET allowed_directories = [${dirs.map(sqlString).join(', ')}]`);
  await conn.run('SET enable_external_access = false');
  await conn.run('SET autoinstall_known_extensions = false');
  await conn.run('SET autoload_known_extensions = false');
  await conn.run('SET lock_configuration = true');
}
