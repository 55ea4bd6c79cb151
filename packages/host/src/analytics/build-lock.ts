import type { SystemDb } from '../state/system-db.js';

/**
 * Runs `build` holding the instance's analytics lock: with the state on PostgreSQL, a session
 * advisory lock on a connection of its own, so exactly one host of the instance builds at a
 * time (the others wait their turn and then build from the newer extracts). With DuckDB one
 * process owns the instance and the orchestrator's own queue is enough.
 */
export async function withBuildLock<T>(db: SystemDb | undefined, key: string, build: () => Promise<T>): Promise<T> {
  if (db?.dialect !== 'postgres') return build();
  const lane = await db.lane('analytics-build-lock');
  await lane.all('SELECT pg_advisory_lock(hashtext(?)) AS locked', [key]);
  try {
    return await build();
  } finally {
    await lane.all('SELECT pg_advisory_unlock(hashtext(?)) AS unlocked', [key]);
  }
}
