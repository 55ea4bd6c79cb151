import { migrate as applyMigrations, migrations } from '../state/migrations/index.js';
import { DuckDbSystemDb } from '../state/system-db.js';
import { refuseLiveHost, requireInstance } from './stopped-instance.js';

export interface MigrateOutcome {
  from: number;
  to: number;
  applied: number[];
}

/**
 * `aida migrate`: applies the schema migrations this version knows to a stopped instance and
 * exits (the host does the same at start). Take a backup first: an upgraded database is refused
 * by the older version (AIDA_SCHEMA_TOO_NEW), so rolling back means restoring it.
 */
export async function migrateInstance(dataDir: string): Promise<MigrateOutcome> {
  const path = requireInstance(dataDir);
  await refuseLiveHost(dataDir, 'migrate');
  const db = await DuckDbSystemDb.open(path);
  try {
    return await applyMigrations(db, migrations);
  } finally {
    await db.close();
  }
}
