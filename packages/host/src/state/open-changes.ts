import type pino from 'pino';
import { LocalChanges, type StateChanges } from './changes.js';
import { stateUrl, type StateConfig } from './config.js';

/** The change feed between the instance's hosts: none with DuckDB (one process), LISTEN/NOTIFY with PostgreSQL. */
export async function openStateChanges(config: StateConfig, log: pino.Logger): Promise<StateChanges> {
  const url = stateUrl(config);
  if (config.backend !== 'postgres' || !url) return new LocalChanges();
  const { PostgresChanges } = await import('./changes.js');
  return PostgresChanges.open(url, config.schema, log);
}
