import type { StateConfig } from '../state/config.js';
import { migrate as applyMigrations, migrations } from '../state/migrations/index.js';
import { openSystemDb } from '../state/open.js';
import { DuckDbSystemDb, type SystemDb } from '../state/system-db.js';
import { EMBEDDED_STATE } from './instance-state.js';
import { refuseLiveHost, requireInstance } from './stopped-instance.js';

export interface MigrateOutcome {
  from: number;
  to: number;
  applied: number[];
  /** The database migrated: the DuckDB file, or the PostgreSQL server (password hidden) and schema. */
  where: string;
}

/**
 * `aida migrate`: applies the schema migrations this version knows and exits (the host does the
 * same at start). DuckDB state: the instance must be stopped. PostgreSQL state: the server is
 * migrated directly, with or without live hosts (each migration is one transaction). Take a
 * backup first: an upgraded database is refused by the older version (AIDA_SCHEMA_TOO_NEW), so
 * rolling back means restoring it.
 */
export async function migrateInstance(dataDir: string, state: StateConfig = EMBEDDED_STATE): Promise<MigrateOutcome> {
  let db: SystemDb;
  if (state.backend === 'duckdb') {
    const path = requireInstance(dataDir);
    await refuseLiveHost(dataDir, 'migrate');
    db = await DuckDbSystemDb.open(path);
  } else {
    db = await openSystemDb(state, dataDir);
  }
  try {
    return { ...(await applyMigrations(db, migrations)), where: db.path };
  } finally {
    await db.close();
  }
}
