import { join } from 'node:path';
import { ConfigInvalidError } from '../errors.js';
import { stateUrl, type StateConfig } from './config.js';
import { DuckDbSystemDb, type SystemDb } from './system-db.js';

/** Opens the system database the config names: the data dir's DuckDB file, or PostgreSQL. */
export async function openSystemDb(config: StateConfig, dataDir: string): Promise<SystemDb> {
  if (config.backend === 'duckdb') return DuckDbSystemDb.open(join(dataDir, 'state', 'system.duckdb'));
  const url = stateUrl(config);
  if (!url) {
    throw new ConfigInvalidError(
      `state.backend is postgres but no connection string is given: set the environment variable ${config.url_env} (or state.url), e.g. postgresql://aida:secret@db:5432/aida`,
      { detail: { issues: [{ path: 'state.url_env', message: `environment variable ${config.url_env} is not set` }] } },
    );
  }
  const { PostgresSystemDb } = await import('./postgres-db.js');
  return PostgresSystemDb.open({ url, schema: config.schema, poolSize: config.pool_size });
}
